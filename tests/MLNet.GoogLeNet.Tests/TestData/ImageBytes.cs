using System.Buffers.Binary;
using System.Text;

namespace MLNet.GoogLeNet.Tests.TestData;

/// <summary>
/// Image files put together byte by byte, for the image check's and the web API's tests: headers announcing huge
/// images, PNGs of chosen chunks, BMPs of chosen pixels. Written out here so that the tests do not share the check's code.
/// </summary>
public static class ImageBytes
{
    /// <summary>A PNG signature, an IHDR of <paramref name="width"/>×<paramref name="height"/> 8-bit RGBA, and IEND: no pixel data (45 bytes).</summary>
    public static byte[] PngHeaderOnly(uint width, uint height)
    {
        var header = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, width);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;  // bits per sample
        header[9] = 6;  // RGBA
        return Png(header);
    }

    /// <summary>A PNG of the IHDR data <paramref name="ihdr"/>, one IDAT chunk for each of <paramref name="idat"/>, and IEND, each chunk with its CRC.</summary>
    public static byte[] Png(byte[] ihdr, params byte[][] idat) =>
        [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A,
         .. PngChunk("IHDR", ihdr), .. idat.SelectMany(data => PngChunk("IDAT", data)), .. PngChunk("IEND", [])];

    /// <summary>
    /// A 24-bit BMP of <paramref name="width"/>×<paramref name="height"/> pixels (rows padded to 4 bytes), each pixel's
    /// blue, green and red from <paramref name="pixel"/>(x, y), or black without it; with <paramref name="headerOnly"/>,
    /// the 54 bytes of its headers alone.
    /// </summary>
    public static byte[] Bmp(int width, int height, Func<int, int, (byte B, byte G, byte R)>? pixel = null, bool headerOnly = false)
    {
        int stride = (width * 3 + 3) / 4 * 4;
        var bytes = new byte[headerOnly ? 54 : 54 + (long)stride * height];
        "BM"u8.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2), bytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), 54);  // where the pixels start
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), 40);  // BITMAPINFOHEADER
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(26), 1);  // planes
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(28), 24);  // bits per pixel
        if (headerOnly)
            return bytes;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(34), stride * height);
        if (pixel is not null)
        {
            for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                long i = 54 + (long)y * stride + x * 3;
                (bytes[i], bytes[i + 1], bytes[i + 2]) = pixel(x, y);
            }
        }
        return bytes;
    }

    /// <summary>One PNG chunk: length, type, data and the CRC-32 of type and data.</summary>
    private static byte[] PngChunk(string type, byte[] data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(chunk, (uint)data.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(chunk, 4);
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32(chunk.AsSpan(4, 4 + data.Length)));
        return chunk;
    }

    /// <summary>The CRC-32 of PNG chunks (ISO 3309), bit by bit.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
