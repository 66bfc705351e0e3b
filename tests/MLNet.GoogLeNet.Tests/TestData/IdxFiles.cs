using System.Buffers.Binary;
using System.IO.Compression;

namespace MLNet.GoogLeNet.Tests.TestData;

/// <summary>Writes small IDX files (the MNIST format) for tests.</summary>
public static class IdxFiles
{
    /// <summary>An IDX image file: magic 0x00000803, count, rows, columns, then the pixels.</summary>
    public static byte[] Images(int count, int rows, int columns, Func<int, int, byte> pixel)
    {
        var bytes = new byte[16 + count * rows * columns];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, 0x00000803);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), (uint)count);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(8), (uint)rows);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(12), (uint)columns);
        for (int i = 0; i < count; i++)
        for (int p = 0; p < rows * columns; p++)
            bytes[16 + i * rows * columns + p] = pixel(i, p);
        return bytes;
    }

    /// <summary>An IDX label file: magic 0x00000801, count, then one byte per label.</summary>
    public static byte[] Labels(IReadOnlyList<byte> labels)
    {
        var bytes = new byte[8 + labels.Count];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, 0x00000801);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), (uint)labels.Count);
        for (int i = 0; i < labels.Count; i++)
            bytes[8 + i] = labels[i];
        return bytes;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(data);
        return output.ToArray();
    }

    /// <summary>
    /// A miniature Fashion-MNIST folder (the four .gz files) with four of its classes drawn as the test patterns:
    /// label 0 horizontal stripes, 1 vertical stripes, 2 checkerboard, 3 disc.
    /// </summary>
    public static void WriteFashionMnist(string folder, int trainCount, int testCount, int seed = 5)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(seed);
        foreach (var (prefix, count) in new[] { ("train", trainCount), ("t10k", testCount) })
        {
            var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 4)).ToArray();
            var drawn = labels.Select(l => PatternImages.Draw(PatternImages.Classes[l], 28, random)).ToArray();
            File.WriteAllBytes(Path.Combine(folder, $"{prefix}-images-idx3-ubyte.gz"), Gzip(Images(count, 28, 28, (i, p) => drawn[i][p])));
            File.WriteAllBytes(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte.gz"), Gzip(Labels(labels)));
        }
    }
}
