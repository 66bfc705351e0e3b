using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace MLNet.GoogLeNet;

/// <summary>
/// Checks that an image file is complete before it is decoded. The image decoders ML.NET uses fill the rows missing
/// from a cut-off PNG or JPEG with blank pixels and report success, so a truncated file would otherwise train, or be
/// scored, as if it were real. The check walks the container: PNG chunks (lengths and CRCs) up to IEND, JPEG segments
/// from SOI to EOI, GIF blocks up to the trailer, and the BMP header against the file's length. A container can be whole
/// around pixel data that ends early, so it also counts the pixel data: a PNG's compressed stream is inflated and counted
/// (not kept) against the size its header announces, and a sequential JPEG's scans are walked code by code to the
/// frame's last block. It does not decode pixels; its work is bounded by the file and by <see cref="MaximumPixels"/>.
/// </summary>
/// <remarks>
/// Training and <c>googlenet predict</c> check every file with it (the library's <c>ImageFolder.CheckFile</c>, which
/// then decodes the file); a serving application checks uploaded bytes with it (examples/WebApi).
/// </remarks>
public static class ImageFileCheck
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>
    /// The most pixels an image may announce unless the caller allows more: 50 million (a 45-megapixel photograph fits;
    /// decoded as RGBA it is 200 MB). A file of a hundred bytes can announce 40,000×40,000 pixels, 6.4 GB once decoded,
    /// so the size is read from the header and refused before any decoding. Larger images: the overloads taking
    /// <c>maximumPixels</c>, and <c>--max-pixels</c> on the command line.
    /// </summary>
    public const long MaximumPixels = 50_000_000;

    /// <summary>
    /// Null when <paramref name="bytes"/> hold a complete PNG, JPEG, GIF or BMP image; else the problem in words:
    /// "empty file (0 bytes)", "truncated (…)", "not an image (starts with …)", "too large: …" (more than
    /// <see cref="MaximumPixels"/>), "corrupt header: …" or "corrupt: …".
    /// </summary>
    public static string? Problem(ReadOnlySpan<byte> bytes) => Problem(bytes, MaximumPixels);

    /// <summary>
    /// <see cref="Problem(ReadOnlySpan{byte})"/> with another bound on the pixels a header may announce: "too large: …"
    /// when it announces more than <paramref name="maximumPixels"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maximumPixels"/> is not positive.</exception>
    public static string? Problem(ReadOnlySpan<byte> bytes, long maximumPixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maximumPixels);
        if (bytes.Length == 0)
            return "empty file (0 bytes)";
        if (bytes.StartsWith(PngSignature))
            return Png(bytes, maximumPixels);
        if (bytes.Length >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF)
            return Jpeg(bytes, maximumPixels);
        if (bytes.StartsWith("GIF87a"u8) || bytes.StartsWith("GIF89a"u8))
            return Gif(bytes, maximumPixels);
        if (bytes.StartsWith("BM"u8))
            return Bmp(bytes, maximumPixels);
        return $"not an image (starts with {Describe(bytes)}; a PNG, JPEG, GIF or BMP file starts with its signature)";
    }

    private static string? Png(ReadOnlySpan<byte> bytes, long maximumPixels)
    {
        long offset = PngSignature.Length;
        bool first = true;
        ReadOnlySpan<byte> ihdr = default;
        var idat = new List<(int Offset, int Length)>();
        while (true)
        {
            if (bytes.Length - offset < 12)
                return Truncated(bytes.Length, $"it ends at byte {bytes.Length} where a PNG chunk header is due, before the IEND chunk");
            var header = bytes.Slice((int)offset, 8);
            uint length = BinaryPrimitives.ReadUInt32BigEndian(header);
            string type = Encoding.ASCII.GetString(header[4..8]);
            if (length > int.MaxValue || !IsChunkType(header[4..8]))
                return CorruptAt(first, $"the PNG chunk at byte {offset} has an invalid {(length > int.MaxValue ? "length" : "type")}");
            if (first && (type != "IHDR" || length != 13))
                return $"corrupt header: a PNG starts with a 13-byte IHDR chunk, this one with '{type}' of {length} bytes";
            long end = offset + 8 + length + 4;
            if (end > bytes.Length)
                return Truncated(bytes.Length, $"its '{type}' chunk at byte {offset} announces {length} bytes of data but the file ends at byte {bytes.Length}");
            var data = bytes.Slice((int)offset + 4, 4 + (int)length);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(bytes.Slice((int)(offset + 8 + length), 4));
            if (Crc32.Compute(data) != stored)
                return CorruptAt(first, $"the '{type}' chunk at byte {offset} fails its CRC check");
            if (first && (BinaryPrimitives.ReadUInt32BigEndian(data[4..]) == 0 || BinaryPrimitives.ReadUInt32BigEndian(data[8..]) == 0))
                return "corrupt header: the PNG's IHDR chunk gives a width or height of 0";
            if (first && TooLarge(BinaryPrimitives.ReadUInt32BigEndian(data[4..]), BinaryPrimitives.ReadUInt32BigEndian(data[8..]), maximumPixels) is { } large)
                return large;
            if (first)
                ihdr = data[4..];
            if (type == "IDAT")
                idat.Add(((int)offset + 8, (int)length));
            if (type == "IEND")
                return PngPixelData.Problem(bytes, ihdr, idat);
            first = false;
            offset = end;
        }
    }

    private static bool IsChunkType(ReadOnlySpan<byte> type)
    {
        foreach (byte b in type)
        {
            if (!char.IsAsciiLetter((char)b))
                return false;
        }
        return true;
    }

    private static string? Jpeg(ReadOnlySpan<byte> bytes, long maximumPixels)
    {
        int offset = 2;
        bool frame = false;
        var scan = new JpegScanLength();
        while (true)
        {
            if (offset + 2 > bytes.Length)
                return Truncated(bytes.Length, "it ends before the JPEG end-of-image marker (FF D9)");
            if (bytes[offset] != 0xFF)
                return CorruptAt(!frame, $"byte {offset} should start a JPEG marker (FF) but is {bytes[offset]:X2}");
            byte marker = bytes[offset + 1];
            if (marker == 0xFF)
            {
                offset++;  // fill byte before a marker
                continue;
            }
            if (marker == 0xD9)
                return frame ? null : "corrupt header: the JPEG ends (FF D9) before any frame header";
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                offset += 2;
                continue;
            }
            if (offset + 4 > bytes.Length)
                return Truncated(bytes.Length, $"it ends inside the JPEG marker at byte {offset}");
            int length = BinaryPrimitives.ReadUInt16BigEndian(bytes[(offset + 2)..]);
            if (length < 2)
                return CorruptAt(!frame, $"the JPEG segment FF {marker:X2} at byte {offset} has the impossible length {length}");
            if (offset + 2 + length > bytes.Length)
                return Truncated(bytes.Length, $"the JPEG segment FF {marker:X2} at byte {offset} announces {length} bytes but the file ends at byte {bytes.Length}");
            var segment = bytes.Slice(offset + 4, length - 2);
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                // Precision, then height (0 allowed: given later) and width.
                if (length < 8 || BinaryPrimitives.ReadUInt16BigEndian(bytes[(offset + 7)..]) == 0)
                    return $"corrupt header: the JPEG frame header at byte {offset} gives no image width";
                if (TooLarge(BinaryPrimitives.ReadUInt16BigEndian(bytes[(offset + 7)..]), BinaryPrimitives.ReadUInt16BigEndian(bytes[(offset + 5)..]), maximumPixels) is { } large)
                    return large;
                frame = true;
                scan.Frame(marker, segment);
            }
            if (marker == 0xC4 && scan.DefineTables(segment, offset) is { } tables)
                return tables;
            if (marker == 0xDD)
                scan.RestartInterval(segment);
            offset += 2 + length;
            if (marker != 0xDA)
                continue;
            if (!frame)
                return "corrupt header: the JPEG's scan data comes before any frame header";
            if (scan.Walk(bytes, segment, ref offset) is { } incomplete)
                return incomplete;
            // Entropy-coded data: a marker is FF followed by anything but 00 (a stuffed FF) or a restart marker.
            while (offset + 1 < bytes.Length && !(bytes[offset] == 0xFF && bytes[offset + 1] is not 0x00 and not (>= 0xD0 and <= 0xD7)))
                offset++;
        }
    }

    private static string? Gif(ReadOnlySpan<byte> bytes, long maximumPixels)
    {
        if (bytes.Length < 13)
            return Truncated(bytes.Length, "it ends inside the GIF header");
        if (BinaryPrimitives.ReadUInt16LittleEndian(bytes[6..]) == 0 || BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]) == 0)
            return "corrupt header: the GIF's screen descriptor gives a width or height of 0";
        if (TooLarge(BinaryPrimitives.ReadUInt16LittleEndian(bytes[6..]), BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]), maximumPixels) is { } large)
            return large;
        int offset = 13 + ColorTableLength(bytes[10]);
        bool image = false;
        while (offset < bytes.Length)
        {
            switch (bytes[offset])
            {
                case 0x3B:
                    return image ? null : "corrupt header: the GIF ends (trailer) before any image";
                case 0x21:
                    offset = SkipSubBlocks(bytes, offset + 2);
                    break;
                case 0x2C:
                    if (offset + 11 > bytes.Length)
                        return Truncated(bytes.Length, $"it ends inside the GIF image descriptor at byte {offset}");
                    // A frame may lie beyond the screen; decoders then enlarge the image to hold it.
                    if (TooLarge(Math.Max(BinaryPrimitives.ReadUInt16LittleEndian(bytes[6..]), BinaryPrimitives.ReadUInt16LittleEndian(bytes[(offset + 1)..]) + BinaryPrimitives.ReadUInt16LittleEndian(bytes[(offset + 5)..])),
                                 Math.Max(BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]), BinaryPrimitives.ReadUInt16LittleEndian(bytes[(offset + 3)..]) + BinaryPrimitives.ReadUInt16LittleEndian(bytes[(offset + 7)..])), maximumPixels) is { } frame)
                        return frame;
                    offset = SkipSubBlocks(bytes, offset + 10 + ColorTableLength(bytes[offset + 9]) + 1);
                    image = true;
                    break;
                default:
                    return CorruptAt(!image, $"byte {offset} of the GIF is {bytes[offset]:X2}, not an image, extension or trailer block");
            }
        }
        return Truncated(bytes.Length, "it ends before the GIF trailer (3B)");
    }

    private static int ColorTableLength(byte flags) => (flags & 0x80) != 0 ? 3 << ((flags & 0x07) + 1) : 0;

    /// <summary>The offset after a chain of sub-blocks starting at <paramref name="offset"/>, or past the end if it is cut off.</summary>
    private static int SkipSubBlocks(ReadOnlySpan<byte> bytes, int offset)
    {
        while (offset < bytes.Length && bytes[offset] != 0)
            offset += bytes[offset] + 1;
        return offset + 1;
    }

    private static string? Bmp(ReadOnlySpan<byte> bytes, long maximumPixels)
    {
        if (bytes.Length < 30)
            return Truncated(bytes.Length, "it ends inside the BMP header");
        uint declared = BinaryPrimitives.ReadUInt32LittleEndian(bytes[2..]);
        uint pixelOffset = BinaryPrimitives.ReadUInt32LittleEndian(bytes[10..]);
        uint headerSize = BinaryPrimitives.ReadUInt32LittleEndian(bytes[14..]);
        if (headerSize < 12 || pixelOffset < 14 + headerSize)
            return $"corrupt header: the BMP's header size ({headerSize}) and pixel offset ({pixelOffset}) do not fit together";
        long width, height;
        int bitsPerPixel;
        uint compression = 0;
        if (headerSize == 12)
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(bytes[18..]);
            height = BinaryPrimitives.ReadUInt16LittleEndian(bytes[20..]);
            bitsPerPixel = BinaryPrimitives.ReadUInt16LittleEndian(bytes[24..]);
        }
        else
        {
            if (bytes.Length < 34)
                return Truncated(bytes.Length, "it ends inside the BMP header");
            width = BinaryPrimitives.ReadInt32LittleEndian(bytes[18..]);
            height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(bytes[22..]));
            bitsPerPixel = BinaryPrimitives.ReadUInt16LittleEndian(bytes[28..]);
            compression = BinaryPrimitives.ReadUInt32LittleEndian(bytes[30..]);
        }
        if (width <= 0 || height == 0 || bitsPerPixel is not (1 or 4 or 8 or 16 or 24 or 32))
            return $"corrupt header: the BMP gives {width}×{height} pixels of {bitsPerPixel} bits";
        if (TooLarge(width, height, maximumPixels) is { } large)
            return large;
        if (declared > bytes.Length)
            return Truncated(bytes.Length, $"its header gives a file size of {declared} bytes");
        // Uncompressed (BI_RGB, BI_BITFIELDS) pixel rows are padded to 4 bytes; compressed ones have no fixed size.
        if (compression is 0 or 3)
        {
            UInt128 needed = pixelOffset + (UInt128)((width * bitsPerPixel + 31) / 32 * 4) * (UInt128)height;  // no overflow
            if (needed > (UInt128)bytes.Length)
                return Truncated(bytes.Length, $"its {width}×{height} pixels of {bitsPerPixel} bits need {needed} bytes");
        }
        return null;
    }

    /// <summary>"too large: …" when <paramref name="width"/>×<paramref name="height"/> is more than <paramref name="maximumPixels"/>.</summary>
    private static string? TooLarge(long width, long height, long maximumPixels)
    {
        if ((double)width * height <= maximumPixels)
            return null;
        string bound = maximumPixels == MaximumPixels ? "ImageFileCheck.MaximumPixels, the default" : "the bound given";
        return string.Create(CultureInfo.InvariantCulture,
            $"too large: its header announces {width}×{height} pixels, more than the {maximumPixels:N0} allowed ({bound}; for larger images raise it with --max-pixels N on the command line, or the maximumPixels argument of ImageFileCheck.Problem, ImageFolder.Scan and ImageFolder.CheckFile)");
    }

    private static string Truncated(int length, string detail) =>
        string.Create(CultureInfo.InvariantCulture, $"truncated ({length} bytes): {detail}");

    private static string CorruptAt(bool inHeader, string detail) => (inHeader ? "corrupt header: " : "corrupt: ") + detail;

    /// <summary>The first bytes, as text when they are printable ASCII, else in hex.</summary>
    private static string Describe(ReadOnlySpan<byte> bytes)
    {
        var head = bytes[..Math.Min(bytes.Length, 8)];
        bool text = true;
        foreach (byte b in head)
            text &= b is >= 0x20 and < 0x7F or (byte)'\t' or (byte)'\r' or (byte)'\n';
        return text
            ? $"the text \"{Encoding.ASCII.GetString(head).ReplaceLineEndings(" ")}\""
            : "the bytes " + Convert.ToHexString(head).Chunk(2).Select(c => new string(c)).Aggregate((a, b) => a + " " + b);
    }

    /// <summary>The CRC-32 of PNG chunks (ISO 3309, polynomial 0xEDB88320 reflected).</summary>
    private static class Crc32
    {
        private static readonly uint[] Table = MakeTable();

        public static uint Compute(ReadOnlySpan<byte> data)
        {
            uint crc = 0xFFFFFFFF;
            foreach (byte b in data)
                crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            return ~crc;
        }

        private static uint[] MakeTable()
        {
            var table = new uint[256];
            for (uint n = 0; n < 256; n++)
            {
                uint c = n;
                for (int k = 0; k < 8; k++)
                    c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
                table[n] = c;
            }
            return table;
        }
    }
}
