namespace MLNet.GoogLeNet.Export;

/// <summary>
/// A module of this library that writes its own ONNX nodes, next to its <c>forward</c>, so that each network is
/// described once: the exporter walks the modules and asks each to emit itself. TorchSharp's own layers
/// (Conv2d, ReLU, pools, Flatten, Linear, Sequential) are translated by <see cref="OnnxExporter"/>.
/// </summary>
internal interface IOnnxModule
{
    /// <summary>
    /// Emits the nodes that compute the module's inference output (evaluation mode) from <paramref name="input"/>.
    /// </summary>
    /// <param name="scope">Where the nodes go; names are prefixed with the module's path.</param>
    /// <param name="input">Name of the value the module reads.</param>
    /// <param name="output">Name to give the result, or null for a fresh name.</param>
    /// <returns>The name of the result.</returns>
    string EmitOnnx(OnnxScope scope, string input, string? output);
}
