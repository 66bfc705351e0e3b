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
        var network = BuildAndFill(model.Graph, configuration, source);
        try
        {
            int classCount = network.Configuration.ClassCount;
            IReadOnlyList<string> names = NetworkMetadata.ReadClassNames(model, source)
                ?? throw new InvalidDataException($"{source}: the ONNX metadata describes the network but lacks '{NetworkMetadata.ClassNamesKey}'.");
            if (names.Count != classCount)
                throw new InvalidDataException($"{source}: the ONNX model names {names.Count} classes for a network with {classCount} outputs.");
            return new ImportedNetwork(network, names, model.Graph.Input[0].Name);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sets every parameter and buffer of <paramref name="module"/>, found at <paramref name="path"/> in the network, from
    /// <paramref name="weights"/>, each from the initializer named by its state-dict key, then the children likewise.
    /// Batch normalisation's count of training steps is not in the graph (it is not part of what the network computes)
    /// and stays as built.
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
