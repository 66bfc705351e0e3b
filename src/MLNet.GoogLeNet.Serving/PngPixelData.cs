using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;

namespace MLNet.GoogLeNet;

/// <summary>
/// Whether a PNG's compressed pixel data (its IDAT chunks, joined) inflates to as many bytes as its IHDR's size, bit
/// depth, colour type and interlacing need. A file whose chunks are intact but whose compressed stream stops early
/// passes the chunk walk, and the decoder fills the missing rows with blank pixels; counting the inflated bytes finds
/// it. The bytes are inflated into one small buffer and counted, never kept, and the count stops one byte past what
/// the image needs, so the cost is bounded by the announced size (itself bounded by <see cref="ImageFileCheck.MaximumPixels"/>).
/// </summary>
internal static class PngPixelData
{
    /// <summary>Null when the pixel data is complete; else the problem in <see cref="ImageFileCheck.Problem(System.ReadOnlySpan{byte}, long)"/>'s words.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="ihdr">The IHDR chunk's 13 data bytes.</param>
    /// <param name="idat">Offset and length of each IDAT chunk's data, in file order.</param>
    public static string? Problem(ReadOnlySpan<byte> bytes, ReadOnlySpan<byte> ihdr, IReadOnlyList<(int Offset, int Length)> idat)
    {
        uint width = BinaryPrimitives.ReadUInt32BigEndian(ihdr);
        uint height = BinaryPrimitives.ReadUInt32BigEndian(ihdr[4..]);
        byte depth = ihdr[8], colour = ihdr[9], interlace = ihdr[12];
        int channels = colour switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => 0 };
        bool depthAllowed = colour switch
        {
            0 => depth is 1 or 2 or 4 or 8 or 16,
            3 => depth is 1 or 2 or 4 or 8,
            _ => depth is 8 or 16,
        };
        if (channels == 0 || !depthAllowed || interlace > 1)
            return string.Create(CultureInfo.InvariantCulture,
                $"corrupt header: the PNG's IHDR gives colour type {colour}, bit depth {depth} and interlace method {interlace}, which PNG does not define together");
        if (idat.Count == 0)
            return "corrupt: the PNG has no IDAT chunk (no pixel data)";
        long needed = NeededBytes(width, height, channels * depth, interlace == 1);

        int total = 0;
        foreach (var (_, length) in idat)
            total += length;  // no overflow: each lies inside the file
        byte[] joined = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            int at = 0;
            foreach (var (offset, length) in idat)
            {
                bytes.Slice(offset, length).CopyTo(joined.AsSpan(at));
                at += length;
            }
            long inflated = Inflate(joined, total, needed + 1, out string? error);
            if (error is not null)
                return "corrupt: the PNG's pixel data (IDAT) cannot be decompressed: " + error;
            return inflated >= needed ? null : string.Create(CultureInfo.InvariantCulture,
                $"truncated ({bytes.Length} bytes): its pixel data (IDAT) decompresses to {inflated} bytes where its {width}×{height} pixels of {channels * depth} bits need {needed}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(joined);
        }
    }

    /// <summary>The filtered scanlines' length: each row is a filter byte and its packed pixels; Adam7's seven passes are each such an image.</summary>
    private static long NeededBytes(long width, long height, int bitsPerPixel, bool adam7)
    {
        if (!adam7)
            return Rows(width, height, bitsPerPixel);
        ReadOnlySpan<int> x0 = [0, 4, 0, 2, 0, 1, 0], y0 = [0, 0, 4, 0, 2, 0, 1], dx = [8, 8, 4, 4, 2, 2, 1], dy = [8, 8, 8, 4, 4, 2, 2];
        long sum = 0;
        for (int pass = 0; pass < 7; pass++)
            sum += Rows((width - x0[pass] + dx[pass] - 1) / dx[pass], (height - y0[pass] + dy[pass] - 1) / dy[pass], bitsPerPixel);
        return sum;
    }

    /// <summary>An empty pass (no columns or no rows) has no filter bytes either.</summary>
    private static long Rows(long width, long height, int bitsPerPixel) =>
        width <= 0 || height <= 0 ? 0 : height * (1 + (width * bitsPerPixel + 7) / 8);

    /// <summary>How many bytes the zlib stream inflates to, counting up to <paramref name="limit"/> at most.</summary>
    private static long Inflate(byte[] compressed, int length, long limit, out string? error)
    {
        error = null;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        long count = 0;
        try
        {
            using var zlib = new ZLibStream(new MemoryStream(compressed, 0, length, writable: false), CompressionMode.Decompress);
            int read;
            while (count < limit && (read = zlib.Read(buffer, 0, (int)Math.Min(buffer.Length, limit - count))) > 0)
                count += read;
        }
        catch (InvalidDataException e)
        {
            error = e.Message;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return count;
    }
}
