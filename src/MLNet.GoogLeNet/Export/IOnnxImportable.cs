namespace MLNet.GoogLeNet.Export;

/// <summary>
/// A module of this library whose ONNX form does not hold its parameters under their own names (for example a
/// convolution exported with its batch normalisation folded in), and which therefore reads them back itself.
/// Modules without this interface are filled by <see cref="OnnxWeightImporter"/>'s default rule: each parameter and
/// buffer from the initializer named by its state-dict key.
/// </summary>
internal interface IOnnxImportable
{
    /// <summary>
    /// Sets every parameter and buffer of this module (and of its children) from <paramref name="weights"/>; the
    /// initializers it wrote on export are named after <paramref name="path"/>, the module's path in the network.
    /// </summary>
    void ImportOnnx(OnnxWeightSource weights, string path);
}
