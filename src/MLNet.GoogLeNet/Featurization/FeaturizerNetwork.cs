using MLNet.GoogLeNet.Export;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Training;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace MLNet.GoogLeNet.Featurization;

/// <summary>
/// The network a featurizer computes with, and its ONNX: the backbone of the network that weights hold — a model zip, a
/// checkpoint, a state dict, or published weights by name or address, as <see cref="GoogLeNetTrainerOptions.FineTuneFrom"/>
/// takes them — in scoring mode, up to the pooled features the classifier head would read.
/// </summary>
internal static class FeaturizerNetwork
{
    private const string Option = "weights";

    /// <summary>
    /// Builds the network <paramref name="weights"/> holds, with its weights: its own image size and channels where the
    /// file records them (a zip, a checkpoint), else <paramref name="imageSize"/> and <paramref name="channels"/>, else the
    /// architecture's (a state dict's keys tell only the architecture).
    /// </summary>
    /// <exception cref="InvalidOperationException">The file is missing, unreadable, or holds no network of this library.</exception>
    public static GoogLeNetNetwork Load(string weights, int? imageSize, int? channels)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(weights);
        string path = WeightsCache.Resolve(weights);
        var found = StartingNetwork.Require(path, Option)
            ?? throw new InvalidOperationException($"{Option}: '{path}' holds no network of this library (no architecture's state-dict keys).");
        var entry = ArchitectureTable.Of(found.Architecture);
        var recorded = found.Configuration;
        int size = imageSize ?? entry.DefaultImageSize;
        var configuration = recorded ?? new GoogLeNetConfiguration(
            channels ?? entry.DefaultChannels ?? 3, ClassCount: 2, size, size, WidthDivisor: 1, found.Architecture);
        var network = new GoogLeNetNetwork(configuration);
        try
        {
            // The head is never run: class names of the right count keep the file's, any others give a new one.
            StartingWeights.CopyInto(network, path, [.. Enumerable.Range(0, configuration.ClassCount).Select(i => $"class {i}")]);
            network.eval();
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The ONNX graph ML.NET's OnnxTransformer runs for one image: <paramref name="input"/> (1, C, H, W) → the backbone →
    /// <paramref name="output"/>, the (features) vector.
    /// </summary>
    public static ModelProto Build(GoogLeNetNetwork network, string input, string output)
    {
        var builder = OnnxExporter.StartGraph(network, input);
        string features = network.EmitBackbone(new OnnxScope(builder, ""), input, null);
        string flat = builder.Int64Initializer("flat_shape", [-1], 1);
        builder.Node("Reshape", "features", [features, flat], output);
        builder.AddOutput(output, DataType.Float, network.FeatureLength);
        return builder.ToModel(OnnxExporter.OpsetVersion, "GoogLeNet featurizer for ML.NET's OnnxTransformer, written by MLNet.GoogLeNet.");
    }
}
