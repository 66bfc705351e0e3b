using MLNet.GoogLeNet.Modules;

namespace MLNet.GoogLeNet.Export;

/// <summary>
/// A network rebuilt from an exported ONNX graph (<see cref="OnnxWeightImporter"/>), with what the graph says about its
/// input and output. The caller owns <see cref="Network"/> and disposes it.
/// </summary>
/// <param name="Network">The rebuilt network on the CPU, in evaluation mode; its configuration gives the architecture,
/// the input (channels, height, width), the class count and the width divisor.</param>
/// <param name="ClassNames">The classes in the order of the network's outputs ("0", "1", … when the model had no class values).</param>
/// <param name="FeatureColumnName">The graph's input: in a model zip, the ML.NET column of (channels, height, width)
/// floats that the zip's preprocessing transforms produce and the network reads.</param>
/// <param name="TestTimeAugmentation">How the graph scored the network (None for a standalone export, which holds the
/// network alone).</param>
internal sealed record ImportedNetwork(GoogLeNetNetwork Network, IReadOnlyList<string> ClassNames, string FeatureColumnName,
    TestTimeAugmentation TestTimeAugmentation);
