using System.Globalization;
using MLNet.GoogLeNet.Modules;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Export;

/// <summary>
/// Rebuilds a network from an ONNX graph written by <see cref="OnnxExporter"/> (a standalone export or the scorer
/// inside a model zip): constructs the network the graph's metadata describes (<see cref="NetworkMetadata"/>), then
/// fills every parameter and buffer by name. The exporter names each initializer after the module path of the
/// weight it holds, so a module's state-dict entry <c>path.name</c> is read from the initializer <c>path.name</c>,
/// batch normalisation's running statistics included: the network comes back as it was saved. A new architecture
/// therefore needs nothing here.
/// </summary>
internal static class OnnxWeightImporter
{
    /// <summary>
    /// The most bytes of ONNX the importer reads from one zip entry: 256 MiB. The largest network the library builds for
    /// ImageNet's 1,000 classes (Inception-ResNet, 3×224×224, 9.7 million parameters) is 39 MB of weights, so this is over
    /// four times it, room for some tens of thousands of classes; a larger entry is refused before it is read.
    /// </summary>
    public const long MaximumModelBytes = 256L << 20;

    /// <summary>Rebuilds the network held by <paramref name="model"/>.</summary>
    /// <param name="model">An ONNX model written by this library.</param>
    /// <param name="source">Where it comes from, for error messages (for example "Model file 'model.zip'").</param>
    /// <exception cref="InvalidDataException">The graph does not hold a network this library builds; the message says what does not fit.</exception>
    public static ImportedNetwork Import(ModelProto model, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Graph is null || model.Graph.Input.Count == 0)
            throw new InvalidDataException($"{source}: the ONNX model has no graph input.");
        var configuration = NetworkMetadata.ReadConfiguration(model, source)
            ?? throw new InvalidDataException(
                $"{source}: the ONNX model does not describe its network (no '{NetworkMetadata.ArchitectureKey}' metadata): only networks " +
                "saved or exported by MLNet.GoogLeNet can be imported.");
        IReadOnlyList<string> names = NetworkMetadata.ReadClassNames(model, source)
            ?? throw new InvalidDataException($"{source}: the ONNX metadata describes the network but lacks '{NetworkMetadata.ClassNamesKey}'.");
        // The metadata says what to build; before anything is built from it, it must agree with what the graph holds,
        // so that a damaged or hostile class count or image size is refused at the cost of reading it.
        CheckAgainstGraph(model.Graph, configuration, names, source);
        var augmentation = NetworkMetadata.ReadTestTimeAugmentation(model, source);
        var network = BuildAndFill(model.Graph, configuration, source);
        try
        {
            NetworkMetadata.ReadBatchCounts(model, network, source);
        }
        catch
        {
            network.Dispose();
            throw;
        }
        return new ImportedNetwork(network, names, model.Graph.Input[0].Name, augmentation);
    }

    /// <summary>
    /// Throws unless <paramref name="configuration"/> (read from the metadata) agrees with the graph: as many class names
    /// as classes, a dense weight of one row per class, and a graph input of the configuration's channels, height and width.
    /// </summary>
    /// <exception cref="InvalidDataException">They differ; the message names <paramref name="source"/> and both values.</exception>
    private static void CheckAgainstGraph(GraphProto graph, GoogLeNetConfiguration configuration, IReadOnlyList<string> names, string source)
    {
        int classCount = configuration.ClassCount;
        string classes = $"{source}: the ONNX metadata announces {classCount} classes ({NetworkMetadata.ClassCountKey})";
        if (names.Count != classCount)
            throw new InvalidDataException($"{classes} but names {names.Count} ({NetworkMetadata.ClassNamesKey}): the file is damaged.");
        string head = GoogLeNetNetwork.HeadWeightName(configuration.Architecture);
        var dense = graph.Initializer.FirstOrDefault(i => i.Name == head)
            ?? throw new InvalidDataException($"{source}: the ONNX graph has no weight named '{head}', which the rebuilt network needs.");
        if (dense.Dims.Count != 2 || dense.Dims[0] != classCount)
            throw new InvalidDataException(
                $"{classes} but its dense weight '{head}' has shape ({string.Join(", ", dense.Dims)}), one row per class: the file is damaged.");
        var dims = graph.Input[0].Type?.TensorType?.Shape?.Dim;
        long[] expected = [configuration.InputChannels, configuration.ImageHeight, configuration.ImageWidth];
        long[]? found = dims is { Count: 4 } && dims.Skip(1).All(d => d.HasDimValue) ? dims.Skip(1).Select(d => d.DimValue).ToArray() : null;
        if (found is null || !found.SequenceEqual(expected))
            throw new InvalidDataException(
                $"{source}: the ONNX metadata announces {string.Join("×", expected)} images (C×H×W) but the graph's input '{graph.Input[0].Name}' is " +
                $"({(dims is null ? "without a shape" : string.Join(", ", dims.Select(d => d.HasDimValue ? d.DimValue.ToString(CultureInfo.InvariantCulture) : d.DimParam)))}): the file is damaged.");
    }

    /// <summary>
    /// Sets every parameter and buffer of <paramref name="module"/>, found at <paramref name="path"/> in the network, from
    /// <paramref name="weights"/>, each from the initializer named by its state-dict key, then the children likewise.
    /// Batch normalisation's count of training steps is not in the graph (it is not part of what the network computes):
    /// <see cref="NetworkMetadata.ReadBatchCounts"/> sets it.
    /// </summary>
    public static void Fill(nn.Module module, string path, OnnxWeightSource weights)
    {
        foreach (var (name, parameter) in module.named_parameters(recurse: false))
            weights.CopyInto(parameter, OnnxWeightSource.Name(path, name));
        foreach (var (name, buffer) in module.named_buffers(recurse: false).Where(b => b.name != "num_batches_tracked"))
            weights.CopyInto(buffer, OnnxWeightSource.Name(path, name));
        foreach (var (name, child) in module.named_children())
            Fill(child, OnnxWeightSource.Name(path, name), weights);
    }

    /// <summary>The network of an architecture, before its weights are filled in.</summary>
    private static GoogLeNetNetwork Build(GoogLeNetConfiguration configuration) => new(configuration);

    private static GoogLeNetNetwork BuildAndFill(GraphProto graph, GoogLeNetConfiguration configuration, string source)
    {
        var network = Build(configuration);
        try
        {
            var weights = new OnnxWeightSource(graph, source);
            Fill(network, "", weights);
            var unread = weights.Unread.Take(4).ToList();
            if (unread.Count > 0)
                throw new InvalidDataException(
                    $"{source}: the ONNX graph holds weights the rebuilt {configuration.Architecture} network has no place for: {string.Join(", ", unread)}.");
            network.eval();
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }
}
