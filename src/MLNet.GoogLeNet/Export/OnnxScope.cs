using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Export;

/// <summary>
/// A place in the ONNX graph being written: the graph builder and the module path (for example "b3.0.path2") that
/// prefixes every node and initializer name, so that ONNX names follow the network's state-dict keys.
/// </summary>
internal sealed record OnnxScope(OnnxGraphBuilder Builder, string Path)
{
    /// <summary>Emits <paramref name="module"/>, a child named <paramref name="name"/>, reading <paramref name="input"/>.</summary>
    public string Child(string name, nn.Module<Tensor, Tensor> module, string input, string? output = null) =>
        OnnxExporter.Emit(Builder, module, Name(name), input, output);

    /// <summary>Emits the children in order, each reading the previous one's result; the last is named <paramref name="output"/>.</summary>
    public string Chain(IReadOnlyList<(string Name, nn.Module<Tensor, Tensor> Module)> children, string input, string? output)
    {
        if (children.Count == 0)
            return Node("Identity", "identity", [input], output);
        string current = input;
        for (int i = 0; i < children.Count; i++)
            current = Child(children[i].Name, children[i].Module, current, i == children.Count - 1 ? output : null);
        return current;
    }

    /// <summary>Adds a node named after this scope; returns its output's name.</summary>
    public string Node(string opType, string name, IEnumerable<string> inputs, string? output = null,
        IEnumerable<Onnx.AttributeProto>? attributes = null) =>
        Builder.Node(opType, Name(name), inputs, output, attributes);

    /// <summary>Adds a float32 initializer named after this scope.</summary>
    public string Initializer(string name, Tensor tensor) => Builder.Initializer(Name(name), tensor);

    /// <summary>The full name of <paramref name="name"/> under this scope's path.</summary>
    public string Name(string name) => Path.Length == 0 ? name : $"{Path}.{name}";
}
