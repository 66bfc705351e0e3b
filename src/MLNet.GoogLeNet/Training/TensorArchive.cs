using System.Text;
using MLNet.GoogLeNet.IO;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Training;

/// <summary>
/// Named tensors in a plain binary form: a tag, the count, then for each tensor its name, element type, shape and its
/// elements in row-major order. Tensors of any memory layout (channels-last weights, moments made like them) are written
/// as their values; reading gives contiguous CPU tensors that the caller copies into its own, keeping their layout.
/// </summary>
/// <remarks>
/// Reading trusts nothing the archive announces: every count, dimension and byte size is checked against what is left of
/// the archive's known length before anything is allocated for it, so a damaged or hostile file of a few bytes is refused
/// at the cost of those bytes, never of the gigabytes its header may claim.
/// </remarks>
internal static class TensorArchive
{
    private const string Tag = "MLNet.GoogLeNet tensors 1";

    /// <summary>
    /// The fewest bytes a tensor's record takes after its name: element type (4), dimension count (4) and byte count (8).
    /// </summary>
    private const int FixedRecordBytes = 16;

    /// <summary>More dimensions than any tensor of a network has; a larger count is damage, not a tensor.</summary>
    private const int MaximumDimensions = 8;

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="stream"/> (left open).</summary>
    public static void Write(Stream stream, IReadOnlyList<(string Name, Tensor Tensor)> tensors)
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Tag);
        writer.Write(tensors.Count);
        foreach (var (name, tensor) in tensors)
        {
            using var scope = NewDisposeScope();
            var values = tensor.detach().cpu().contiguous();
            if (ElementBytes(values.dtype) is null)
                throw new NotSupportedException($"Tensor '{name}' is of type {values.dtype}, which a checkpoint does not store.");
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
    /// <param name="stream">The archive, read from its current position.</param>
    /// <param name="source">What the archive is, for error messages ("Checkpoint 'run/checkpoint-e0001-b000010.ckpt'").</param>
    /// <param name="length">The archive's length in bytes as its container knows it: nothing it announces may exceed it.</param>
    /// <exception cref="InvalidDataException">The stream does not hold tensors in this form, announces more than
    /// <paramref name="length"/> holds, or a tensor holds a NaN or infinite value (<see cref="FiniteWeights"/>); the
    /// message names <paramref name="source"/>, the tensor and what is wrong.</exception>
    public static Dictionary<string, Tensor> Read(Stream stream, string source, long length)
    {
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        long left = length;
        string Damaged(string what) => $"{source} is damaged: {what}. Resume from an earlier checkpoint, or train again.";
        void Take(long bytes, string what)
        {
            if (bytes < 0 || bytes > left)
                throw new InvalidDataException(Damaged($"{what} announces {bytes} bytes but the file has {left} left"));
            left -= bytes;
        }
        string ReadName(string what)
        {
            Take(1, what);
            int count = reader.Read7BitEncodedInt();
            // The length prefix takes one byte per 7 bits; the first was taken above.
            Take(Prefix(count) - 1, what);
            Take(count, what);
            return Encoding.UTF8.GetString(reader.ReadBytes(count) is { } bytes && bytes.Length == count
                ? bytes
                : throw new EndOfStreamException());
        }
        try
        {
            if (ReadName("the archive's tag") != Tag)
                throw new InvalidDataException($"{source} does not hold this library's tensors.");
            Take(4, "the tensor count");
            int count = reader.ReadInt32();
            if (count < 0 || count > left / (FixedRecordBytes + 1))
                throw new InvalidDataException(Damaged($"it announces {count} tensors but the file has {left} bytes left, room for at most {left / (FixedRecordBytes + 1)}"));
            for (int i = 0; i < count; i++)
            {
                string name = ReadName($"the name of tensor {i + 1} of {count}");
                Take(8, $"tensor '{name}'");
                var type = (ScalarType)reader.ReadInt32();
                int dimensions = reader.ReadInt32();
                int elementBytes = ElementBytes(type)
                    ?? throw new InvalidDataException(Damaged($"tensor '{name}' has element type {(int)type}, which this library does not write"));
                if (dimensions is < 0 or > MaximumDimensions)
                    throw new InvalidDataException(Damaged($"tensor '{name}' announces {dimensions} dimensions (0 to {MaximumDimensions} are possible)"));
                Take(8L * dimensions + 8, $"the shape of tensor '{name}'");
                var shape = new long[dimensions];
                long elements = 1;
                for (int d = 0; d < shape.Length; d++)
                {
                    shape[d] = reader.ReadInt64();
                    // Every element takes at least one byte of what is left, so a larger product is damage (and the
                    // bound keeps the product from overflowing).
                    if (shape[d] < 0 || (shape[d] > 0 && elements > left / shape[d]))
                        throw new InvalidDataException(Damaged(
                            $"tensor '{name}' announces shape [{string.Join(", ", shape[..(d + 1)])}…], more elements than the {left} bytes left hold"));
                    elements *= shape[d];
                }
                long announced = reader.ReadInt64();
                long needed = elements * elementBytes;
                if (announced != needed)
                    throw new InvalidDataException(Damaged($"tensor '{name}' announces {announced} bytes, its shape [{string.Join(", ", shape)}] of {type} needs {needed}"));
                Take(announced, $"tensor '{name}'");
                if (announced > Array.MaxLength)
                    throw new InvalidDataException(Damaged($"tensor '{name}' announces {announced} bytes, more than one tensor of a checkpoint can hold"));
                var bytes = reader.ReadBytes((int)announced);
                if (bytes.Length != announced)
                    throw new EndOfStreamException();
                var tensor = empty(shape, type);
                tensors[name] = tensor;
                tensor.bytes = bytes;
                FiniteWeights.Check(tensor, name, source);
            }
            return tensors;
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or FormatException)
        {
            foreach (var tensor in tensors.Values)
                tensor.Dispose();
            throw e as InvalidDataException ?? new InvalidDataException($"{source} ends early: the file is truncated.", e);
        }
    }

    /// <summary>Bytes of the 7-bit encoded length prefix BinaryWriter writes before a string of <paramref name="count"/> bytes.</summary>
    private static int Prefix(int count)
    {
        int bytes = 1;
        for (uint rest = (uint)count >> 7; rest != 0; rest >>= 7)
            bytes++;
        return bytes;
    }

    /// <summary>The bytes of one element of <paramref name="type"/>, or null for a type checkpoints do not store.</summary>
    private static int? ElementBytes(ScalarType type) => type switch
    {
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 => 8,
        _ => null,
    };
}
