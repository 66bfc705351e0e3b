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
/// dimension, then the data. Every header is checked against what the file can hold before the data is allocated —
/// its length for a raw file, what deflate can expand it to for a gzip file — and the data is read into exactly the
/// size announced, so a truncated, padded or inflating file is reported instead of read, and never held in memory.
/// </summary>
internal static class IdxReader
{
    private const byte UnsignedByte = 0x08;

    /// <summary>The most deflate can compress: about 1032 bytes out for every byte in.</summary>
    private const long MaxGzipRatio = 1032;

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
        using var file = File.OpenRead(path);
        bool gzip = file.Length >= 2 && file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
        file.Position = 0;
        using var stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
        try
        {
            return Read(path, stream, file.Length, gzip, expectedDimensions, kind);
        }
        catch (InvalidDataException e) when (gzip && e.Message is var m && !m.StartsWith($"'{path}'", StringComparison.Ordinal))
        {
            throw Invalid(path, "its gzip data is corrupt or truncated (" + e.Message + ")");
        }
    }

    /// <summary>
    /// Reads the header, checks the values it announces against what the file can hold, and only then allocates them:
    /// a header that announces more than the file can hold is refused before anything of that size is allocated.
    /// </summary>
    private static (int[] Dims, byte[] Data) Read(string path, Stream stream, long fileLength, bool gzip, int expectedDimensions, string kind)
    {
        int headerLength = 4 + 4 * expectedDimensions;
        var header = new byte[headerLength];
        int got = stream.ReadAtLeast(header, headerLength, throwOnEndOfStream: false);
        if (got < 4)
            throw Invalid(path, $"it has {got} bytes, fewer than the 4-byte IDX magic number");
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(header);
        uint expectedMagic = (uint)(UnsignedByte << 8 | expectedDimensions);
        if (magic != expectedMagic)
            throw Invalid(path, $"its magic number is 0x{magic:X8}, not 0x{expectedMagic:X8} (an IDX {kind} file of unsigned bytes with {expectedDimensions} dimension(s))");
        if (got < headerLength)
            throw Invalid(path, $"it is truncated inside its header ({got} of {headerLength} bytes)");

        var dims = new int[expectedDimensions];
        UInt128 product = 1;  // at most three factors below 2^31: no overflow
        for (int d = 0; d < expectedDimensions; d++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4 + 4 * d));
            if (size == 0 || size > int.MaxValue)
                throw Invalid(path, $"dimension {d} has the impossible size {size}");
            dims[d] = (int)size;
            product *= size;
        }
        string announced = string.Join(" × ", dims);
        UInt128 expectedLength = (UInt128)headerLength + product;
        if (!gzip && product > (UInt128)(fileLength - headerLength))
            throw Invalid(path, $"it is truncated: its header announces {announced} values ({expectedLength} bytes in all) but it has {fileLength} bytes");
        if (gzip && product > (UInt128)fileLength * MaxGzipRatio)
            throw Invalid(path, $"its header announces {announced} values ({expectedLength} bytes in all), more than a gzip file of {fileLength} bytes can hold (deflate compresses at most {MaxGzipRatio} to 1)");
        if (product > (UInt128)Array.MaxLength)
            throw Invalid(path, $"its header announces {announced} values, more than one array can hold ({Array.MaxLength})");
        int values = (int)product;

        var data = new byte[values];  // no more than the file can hold: checked above
        int read = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        if (read < data.Length)
            throw Invalid(path, $"it is truncated: its header announces {announced} values ({expectedLength} bytes in all) but it has {headerLength + read} bytes");
        long extra = 0;
        var rest = new byte[4096];
        for (int n; (n = stream.Read(rest)) > 0;)
            extra += n;
        if (extra > 0)
            throw Invalid(path, $"it has {extra} bytes beyond the {announced} values its header announces");
        return (dims, data);
    }

    private static InvalidDataException Invalid(string path, string problem) =>
        new($"'{path}' is not a valid IDX file: {problem}.");
}
