using MLNet.GoogLeNet.Modules;
using Onnx;

namespace MLNet.GoogLeNet.Export;

/// <summary>
/// The network as a standalone ONNX model for serving engines (ONNX Runtime, Triton, KServe): one float input
/// <see cref="InputName"/> (N, C, H, W) with a symbolic batch dimension, and one float output (N, classes) —
/// <see cref="ProbabilitiesName"/> (softmax) or <see cref="LogitsName"/> — with the network's configuration and class
/// names in the model's metadata (<see cref="NetworkMetadata"/>).
/// </summary>
internal static class StandaloneOnnx
{
    /// <summary>The input: (N, C, H, W) planar floats, the values the model zip's feature column holds.</summary>
    public const string InputName = "images";

    /// <summary>The output with softmax: (N, classes) probabilities, each row summing to 1.</summary>
    public const string ProbabilitiesName = "probabilities";

    /// <summary>The output without softmax: (N, classes) logits.</summary>
    public const string LogitsName = "logits";

    /// <summary>The ONNX model of <paramref name="network"/>, ending in softmax unless <paramref name="logits"/>.</summary>
    public static ModelProto Build(GoogLeNetNetwork network, IReadOnlyList<string> classNames, bool logits)
    {
        var model = OnnxExporter.BuildModel(network, new OnnxExportOptions
        {
            InputName = InputName,
            OutputName = logits ? LogitsName : ProbabilitiesName,
            IncludeSoftmax = !logits,
        });
        NetworkMetadata.Write(model, network, classNames);
        return model;
    }

    /// <summary>The name of the output of a model built by <see cref="Build"/>.</summary>
    public static string OutputName(bool logits) => logits ? LogitsName : ProbabilitiesName;
}
