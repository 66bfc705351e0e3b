using System.Runtime.InteropServices;
using MLNet.GoogLeNet.IO;
using Onnx;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace MLNet.GoogLeNet.Export;

/// <summary>
/// The float initializers of an exported ONNX graph, by name, read into TorchSharp tensors with their shapes checked.
/// Remembers which were read, so that the importer can tell when the graph holds weights the rebuilt network lacks.
/// </summary>
internal sealed class OnnxWeightSource
{
    private readonly Dictionary<string, TensorProto> _initializers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    /// <param name="graph">The graph whose initializers hold the weights.</param>
    /// <param name="source">Where the graph comes from (a file, a zip), for error messages.</param>
    public OnnxWeightSource(GraphProto graph, string source)
    {
        Source = source;
        foreach (var initializer in graph.Initializer)
        {
            if (initializer.DataType == (int)DataType.Float)
                _initializers[initializer.Name] = initializer;
        }
    }

    /// <summary>Where the weights come from, as error messages name it.</summary>
    public string Source { get; }

    /// <summary>The float initializers no module has read.</summary>
    public IEnumerable<string> Unread => _initializers.Keys.Where(name => !_read.Contains(name));

    /// <summary>The name of <paramref name="name"/> under the module path <paramref name="path"/>, as <see cref="OnnxScope"/> writes it.</summary>
    public static string Name(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    /// <summary>Copies the initializer <paramref name="name"/> into <paramref name="target"/>, which must have its shape.</summary>
    /// <exception cref="InvalidDataException">There is no such initializer, or its shape differs.</exception>
    public void CopyInto(Tensor target, string name)
    {
        using var noGrad = no_grad();
        using var value = Read(name, target.shape);
        target.copy_(value);
    }

    /// <summary>The initializer <paramref name="name"/> as a new CPU float32 tensor of shape <paramref name="shape"/>.</summary>
    /// <exception cref="InvalidDataException">There is no such initializer, its shape differs, or it holds a NaN or
    /// infinite value (<see cref="FiniteWeights"/>).</exception>
    public Tensor Read(string name, long[] shape)
    {
        if (!_initializers.TryGetValue(name, out var proto))
            throw new InvalidDataException($"{Source}: the ONNX graph has no weight named '{name}', which the rebuilt network needs.");
        long[] dims = proto.Dims.ToArray();
        if (!dims.SequenceEqual(shape))
            throw new InvalidDataException(
                $"{Source}: the ONNX weight '{name}' has shape ({string.Join(", ", dims)}); the rebuilt network needs ({string.Join(", ", shape)}).");
        float[] values = proto.RawData.Length > 0
            ? MemoryMarshal.Cast<byte, float>(proto.RawData.Span).ToArray()
            : proto.FloatData.ToArray();
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (values.Length != count)
            throw new InvalidDataException($"{Source}: the ONNX weight '{name}' holds {values.Length} values for shape ({string.Join(", ", dims)}).");
        _read.Add(name);
        var result = tensor(values, shape);
        try
        {
            FiniteWeights.Check(result, name, Source);
        }
        catch
        {
            result.Dispose();
            throw;
        }
        return result;
    }
}
