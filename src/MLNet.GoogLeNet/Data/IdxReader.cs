using System.Buffers.Binary;
using System.IO.Compression;

namespace MLNet.GoogLeNet.Data;

/// <summary>Images from an IDX file: <see cref="Count"/> images of <see cref="Rows"/> × <see cref="Columns"/> bytes, row-major.</summary>
internal sealed class IdxImages
{
    internal IdxImages(string path, int count, int rows, int columns, byte[] pixels)
    {
        Path = path;
        Count = count;
        Rows = rows;
        Columns = columns;
        Pixels = pixels;
    }

    /// <summary>The file the images were read from.</summary>
    public string Path { get; }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>Height of each image.</summary>
    public int Rows { get; }

    /// <summary>Width of each image.</summary>
    public int Columns { get; }

    /// <summary>All pixels, image after image (0 = background, 255 = full intensity).</summary>
    public byte[] Pixels { get; }

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * Rows * Columns, Rows * Columns);
}

/// <summary>
/// Reads the IDX format of MNIST and Fashion-MNIST (raw or gzip-compressed): a 4-byte magic number — two zero
/// bytes, the element type (0x08, unsigned byte) and the number of dimensions — then one big-endian 32-bit size per
/// dimension, then the data. Every header is checked against the file's length, so a truncated or padded file is
/// reported instead of read.
/// </summary>
internal static class IdxReader
{
    private const byte UnsignedByte = 0x08;

    /// <summary>Reads an image file (3 dimensions: count, rows, columns; magic 0x00000803).</summary>
    /// <exception cref="InvalidDataException">The file is not a complete IDX image file; the message names it.</exception>
    public static IdxImages ReadImages(string path)
    {
        var (dims, data) = Read(path, expectedDimensions: 3, "image");
        return new IdxImages(path, dims[0], dims[1], dims[2], data);
    }

    /// <summary>Reads a label file (1 dimension: count; magic 0x00000801).</summary>
    /// <exception cref="InvalidDataException">The file is not a complete IDX label file; the message names it.</exception>
    public static byte[] ReadLabels(string path)
    {
        var (_, data) = Read(path, expectedDimensions: 1, "label");
        return data;
    }

    private static (int[] Dims, byte[] Data) Read(string path, int expectedDimensions, string kind)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"IDX {kind} file '{path}' does not exist.", path);
        byte[] bytes = Decompress(path);
        if (bytes.Length < 4)
            throw Invalid(path, $"it has {bytes.Length} bytes, fewer than the 4-byte IDX magic number");
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        uint expectedMagic = (uint)(UnsignedByte << 8 | expectedDimensions);
        if (magic != expectedMagic)
            throw Invalid(path, $"its magic number is 0x{magic:X8}, not 0x{expectedMagic:X8} (an IDX {kind} file of unsigned bytes with {expectedDimensions} dimension(s))");
        int headerLength = 4 + 4 * expectedDimensions;
        if (bytes.Length < headerLength)
            throw Invalid(path, $"it is truncated inside its header ({bytes.Length} of {headerLength} bytes)");

        var dims = new int[expectedDimensions];
        long expectedLength = headerLength;
        long product = 1;
        for (int d = 0; d < expectedDimensions; d++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (size == 0 || size > int.MaxValue)
                throw Invalid(path, $"dimension {d} has the impossible size {size}");
            dims[d] = (int)size;
            product *= size;
        }
        expectedLength += product;
        if (bytes.Length != expectedLength)
            throw Invalid(path, bytes.Length < expectedLength
                ? $"it is truncated: its header announces {string.Join(" × ", dims)} values ({expectedLength} bytes in all) but it has {bytes.Length} bytes"
                : $"it has {bytes.Length - expectedLength} bytes beyond the {string.Join(" × ", dims)} values its header announces");
        return (dims, bytes.AsSpan(headerLength).ToArray());
    }

    private static byte[] Decompress(string path)
    {
        byte[] raw = File.ReadAllBytes(path);
        if (raw.Length < 2 || raw[0] != 0x1f || raw[1] != 0x8b)
            return raw;
        try
        {
            using var gzip = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
            using var output = new MemoryStream();
            gzip.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw Invalid(path, "its gzip data is corrupt or truncated (" + e.Message + ")");
        }
    }

    private static InvalidDataException Invalid(string path, string problem) =>
        new($"'{path}' is not a valid IDX file: {problem}.");
}
