using MLNet.GoogLeNet.IO;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Training;

/// <summary>
/// Named tensors in a plain binary form: a tag, the count, then for each tensor its name, element type, shape and its
/// elements in row-major order. Tensors of any memory layout (channels-last weights, moments made like them) are written
/// as their values; reading gives contiguous CPU tensors that the caller copies into its own, keeping their layout.
/// </summary>
internal static class TensorArchive
{
    private const string Tag = "MLNet.GoogLeNet tensors 1";

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="stream"/> (left open).</summary>
    public static void Write(Stream stream, IReadOnlyList<(string Name, Tensor Tensor)> tensors)
    {
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(Tag);
        writer.Write(tensors.Count);
        foreach (var (name, tensor) in tensors)
        {
            using var scope = NewDisposeScope();
            var values = tensor.detach().cpu().contiguous();
            writer.Write(name);
            writer.Write((int)values.dtype);
            writer.Write((int)values.dim());
            foreach (long size in values.shape)
                writer.Write(size);
            var bytes = values.bytes;
            writer.Write((long)bytes.Length);
            writer.Write(bytes);
        }
    }

    /// <summary>The tensors in <paramref name="stream"/>, by name, on the CPU; the caller disposes them.</summary>
    /// <exception cref="InvalidDataException">The stream does not hold tensors in this form, or a tensor holds a NaN or
    /// infinite value (<see cref="FiniteWeights"/>).</exception>
    public static Dictionary<string, Tensor> Read(Stream stream, string source)
    {
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            if (reader.ReadString() != Tag)
                throw new InvalidDataException($"{source} does not hold this library's tensors.");
            int count = reader.ReadInt32();
            for (int i = 0; i < count; i++)
            {
                string name = reader.ReadString();
                var type = (ScalarType)reader.ReadInt32();
                var shape = new long[reader.ReadInt32()];
                for (int d = 0; d < shape.Length; d++)
                    shape[d] = reader.ReadInt64();
                long length = reader.ReadInt64();
                var tensor = empty(shape, type);
                tensors[name] = tensor;
                if (tensor.bytes.Length != length)
                    throw new InvalidDataException($"{source}: tensor '{name}' has {length} bytes, its shape needs {tensor.bytes.Length}.");
                var bytes = reader.ReadBytes(checked((int)length));
                if (bytes.Length != length)
                    throw new InvalidDataException($"{source} ends inside tensor '{name}': the file is truncated.");
                tensor.bytes = bytes;
                FiniteWeights.Check(tensor, name, source);
            }
            return tensors;
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException)
        {
            foreach (var tensor in tensors.Values)
                tensor.Dispose();
            throw e as InvalidDataException ?? new InvalidDataException($"{source} ends early: the file is truncated.", e);
        }
    }
}
