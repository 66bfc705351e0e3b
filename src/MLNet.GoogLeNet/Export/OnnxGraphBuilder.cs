using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace MLNet.GoogLeNet.Export;

/// <summary>
/// Accumulates the nodes, initializers, inputs and outputs of one ONNX graph, and names intermediate values
/// uniquely. Thin helpers over the protobuf messages of the OnnxSharp package.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _counter;

    /// <summary>The producer name of every model this library writes.</summary>
    public const string ProducerName = "MLNet.GoogLeNet";

    public GraphProto Graph { get; } = new() { Name = "GoogLeNet" };

    /// <summary>Opset imports beyond the default domain (for example ai.onnx.ml for the slot-name carrier).</summary>
    public HashSet<(string Domain, long Version)> ExtraOpsets { get; } = [];

    /// <summary>A fresh value name derived from <paramref name="hint"/>.</summary>
    public string Fresh(string hint)
    {
        string name = hint;
        while (!_names.Add(name))
            name = $"{hint}_{++_counter}";
        return name;
    }

    public void AddInput(string name, DataType type, params object[] dims) => Graph.Input.Add(ValueInfo(Fresh(name) == name ? name : throw Duplicate(name), type, dims));

    public void AddOutput(string name, DataType type, params object[] dims) => Graph.Output.Add(ValueInfo(name, type, dims));

    /// <summary>Adds a node and returns the name of its (first) output.</summary>
    public string Node(string opType, string nodeName, IEnumerable<string> inputs, string? output = null,
        IEnumerable<AttributeProto>? attributes = null, string domain = "")
    {
        output ??= Fresh(nodeName);
        var node = new NodeProto { OpType = opType, Name = nodeName, Domain = domain };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        if (attributes is not null)
            node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return output;
    }

    /// <summary>Adds a float32 initializer holding a copy of <paramref name="tensor"/> (any device, any layout).</summary>
    public string Initializer(string hint, Tensor tensor)
    {
        using var cpu = tensor.detach().to(float32).cpu().contiguous();
        var proto = new TensorProto { Name = Fresh(hint), DataType = (int)DataType.Float, RawData = ByteString.CopyFrom(cpu.bytes) };
        proto.Dims.AddRange(cpu.shape);
        Graph.Initializer.Add(proto);
        return proto.Name;
    }

    public string Int64Initializer(string hint, long[] values, params long[] dims)
    {
        var proto = new TensorProto { Name = Fresh(hint), DataType = (int)DataType.Int64 };
        proto.Dims.AddRange(dims);
        proto.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        Graph.Initializer.Add(proto);
        return proto.Name;
    }

    public string StringInitializer(string hint, IEnumerable<string> values, params long[] dims)
    {
        var proto = new TensorProto { Name = Fresh(hint), DataType = (int)DataType.String };
        proto.Dims.AddRange(dims);
        proto.StringData.AddRange(values.Select(ByteString.CopyFromUtf8));
        Graph.Initializer.Add(proto);
        return proto.Name;
    }

    public static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Strings(string name, IEnumerable<string> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
        attribute.Strings.AddRange(values.Select(ByteString.CopyFromUtf8));
        return attribute;
    }

    /// <summary>A model with this graph, the default-domain opset <paramref name="opset"/> and any extra opsets.</summary>
    public ModelProto ToModel(long opset, string docString)
    {
        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = ProducerName,
            ProducerVersion = typeof(OnnxGraphBuilder).Assembly.GetName().Version?.ToString() ?? "0",
            DocString = docString,
            Graph = Graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        foreach (var (domain, version) in ExtraOpsets)
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        return model;
    }

    /// <summary>A tensor value description; each dimension is a number or a symbolic name (a string).</summary>
    private static ValueInfoProto ValueInfo(string name, DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim switch
            {
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                IConvertible number => new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(number, System.Globalization.CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"Dimension {dim} of '{name}' is neither a number nor a name.", nameof(dims)),
            });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    private static InvalidOperationException Duplicate(string name) => new($"The ONNX graph already has a value named '{name}'.");
}
