using System.Buffers.Binary;
using System.Globalization;

namespace MLNet.GoogLeNet;

/// <summary>
/// Whether each scan of a sequential, Huffman-coded JPEG (SOF0, SOF1: what cameras and most encoders write by default)
/// holds every block its frame needs. A JPEG cut short and given an end-of-image marker again (FF D9) has a valid
/// marker structure; libjpeg, under the decoders ML.NET uses, meets the marker inside the scan, fills the rest of the
/// image with blank blocks and reports success. So the Huffman codes of the scan are walked, block by block, without
/// dequantising or transforming anything, until the frame's last block or a marker, whichever comes first. The walk
/// reads each bit once and stops at the frame's block count (bounded through <see cref="ImageFileCheck.MaximumPixels"/>).
/// Progressive and arithmetic-coded JPEGs are not walked: only their marker structure is checked.
/// </summary>
internal sealed class JpegScanLength
{
    private readonly HuffmanTable?[] _tables = new HuffmanTable?[8];  // DC tables 0-3, then AC tables 0-3
    private readonly List<(byte Id, int H, int V)> _components = [];
    private bool _sequentialHuffman;
    private int _width, _height, _restartInterval;

    /// <summary>A DHT segment's data (after the length): one or more tables. Null, or why the tables are invalid.</summary>
    public string? DefineTables(ReadOnlySpan<byte> data, int at)
    {
        while (data.Length > 0)
        {
            if (data.Length < 17 || (data[0] >> 4) > 1 || (data[0] & 0x0F) > 3)
                return Corrupt($"the JPEG Huffman table segment at byte {at} is malformed");
            int count = 0;
            for (int i = 1; i <= 16; i++)
                count += data[i];
            if (count > 256 || data.Length < 17 + count)
                return Corrupt($"the JPEG Huffman table segment at byte {at} lists more codes than it holds");
            var table = HuffmanTable.Create(data[1..17], data.Slice(17, count));
            if (table is null)
                return Corrupt($"the JPEG Huffman table segment at byte {at} gives more codes of some length than that length allows");
            _tables[(data[0] >> 4) * 4 + (data[0] & 0x0F)] = table;
            data = data[(17 + count)..];
        }
        return null;
    }

    /// <summary>A frame header's data (after the length). Only SOF0 and SOF1 frames are walked.</summary>
    public void Frame(byte marker, ReadOnlySpan<byte> data)
    {
        _sequentialHuffman = marker is 0xC0 or 0xC1;
        _height = BinaryPrimitives.ReadUInt16BigEndian(data[1..]);
        _width = BinaryPrimitives.ReadUInt16BigEndian(data[3..]);
        _components.Clear();
        int count = data.Length > 5 ? data[5] : 0;
        for (int i = 0; i < count && 6 + 3 * i + 2 < data.Length; i++)
            _components.Add((data[6 + 3 * i], data[7 + 3 * i] >> 4, data[7 + 3 * i] & 0x0F));
    }

    /// <summary>A DRI segment's data: the number of MCUs between restart markers (0: none).</summary>
    public void RestartInterval(ReadOnlySpan<byte> data) =>
        _restartInterval = data.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(data) : 0;

    /// <summary>
    /// Walks the scan whose entropy-coded data starts at <paramref name="offset"/>, after the SOS header
    /// <paramref name="header"/>. On success <paramref name="offset"/> is past the last byte the walk read; the caller
    /// goes on to the next marker from there. Null when the scan is complete (or is not walked); else the problem.
    /// </summary>
    public string? Walk(ReadOnlySpan<byte> bytes, ReadOnlySpan<byte> header, ref int offset)
    {
        if (!_sequentialHuffman || _width == 0 || _height == 0 || _components.Count == 0)
            return null;
        int hMax = 1, vMax = 1;
        foreach (var c in _components)
        {
            if (c.H is < 1 or > 4 || c.V is < 1 or > 4)
                return Corrupt($"a JPEG frame component has the sampling factors {c.H}×{c.V} (1 to 4 each)");
            (hMax, vMax) = (Math.Max(hMax, c.H), Math.Max(vMax, c.V));
        }
        int count = header.Length > 0 ? header[0] : 0;
        if (count is < 1 or > 4 || header.Length < 1 + 2 * count)
            return Corrupt($"the JPEG scan header before byte {offset} is malformed");
        // Per block of an MCU: its DC and AC tables.
        var blocks = new List<(HuffmanTable Dc, HuffmanTable Ac)>();
        long mcus = 0;
        for (int i = 0; i < count; i++)
        {
            byte id = header[1 + 2 * i];
            int index = _components.FindIndex(c => c.Id == id);
            if (index < 0)
                return Corrupt($"the JPEG scan before byte {offset} names component {id}, which the frame does not have");
            var (_, h, v) = _components[index];
            byte tables = header[2 + 2 * i];
            if (_tables[(tables >> 4) & 3] is not { } dc || _tables[4 + (tables & 3)] is not { } ac)
                return null;  // no table defined: libjpeg-turbo supplies the standard ones (motion JPEG); not walked
            if (count == 1)
            {
                // A scan of one component is not interleaved: one block per MCU, over that component's own size.
                long across = ((long)_width * h + hMax - 1) / hMax, down = ((long)_height * v + vMax - 1) / vMax;
                mcus = (across + 7) / 8 * ((down + 7) / 8);
                blocks.Add((dc, ac));
            }
            else
            {
                mcus = ((long)_width + 8 * hMax - 1) / (8 * hMax) * (((long)_height + 8 * vMax - 1) / (8 * vMax));
                for (int b = 0; b < h * v; b++)
                    blocks.Add((dc, ac));
            }
        }

        var reader = new BitReader(bytes, offset);
        for (long mcu = 0; mcu < mcus; mcu++)
        {
            if (_restartInterval > 0 && mcu > 0 && mcu % _restartInterval == 0 && !reader.Restart())
                return Truncated(bytes.Length, mcu, mcus, reader.Position);
            foreach (var (dc, ac) in blocks)
            {
                switch (Block(ref reader, dc, ac))
                {
                    case BlockResult.OutOfData:
                        return Truncated(bytes.Length, mcu, mcus, reader.Position);
                    case BlockResult.BadCode:
                        return Corrupt($"the JPEG scan holds, near byte {reader.Position}, a code that its Huffman table does not define");
                }
            }
        }
        offset = reader.Position;
        return null;
    }

    private enum BlockResult { Complete, OutOfData, BadCode }

    /// <summary>One 8×8 block: a DC difference, then AC coefficients as (zero run, size) codes up to end-of-block or the 63rd.</summary>
    private static BlockResult Block(ref BitReader reader, HuffmanTable dc, HuffmanTable ac)
    {
        int size = dc.Decode(ref reader);
        if (size < 0)
            return size == HuffmanTable.OutOfData ? BlockResult.OutOfData : BlockResult.BadCode;
        if (!reader.Skip(size & 0x1F))
            return BlockResult.OutOfData;
        for (int k = 1; k < 64; k++)
        {
            int symbol = ac.Decode(ref reader);
            if (symbol < 0)
                return symbol == HuffmanTable.OutOfData ? BlockResult.OutOfData : BlockResult.BadCode;
            int run = symbol >> 4, bits = symbol & 0x0F;
            if (bits == 0)
            {
                if (run != 15)
                    break;  // end of block
                k += 15;
                continue;
            }
            k += run;
            if (!reader.Skip(bits))
                return BlockResult.OutOfData;
        }
        return BlockResult.Complete;
    }

    private static string Truncated(int length, long mcu, long mcus, int position) =>
        string.Create(CultureInfo.InvariantCulture,
            $"truncated ({length} bytes): the JPEG's compressed image data ends at byte {position} after {mcu} of its {mcus} blocks (MCUs); the rest would be decoded blank");

    private static string Corrupt(string detail) => "corrupt: " + detail;

    /// <summary>Bits of entropy-coded data, most significant first, with stuffed bytes (FF 00) read as FF; a marker ends the data.</summary>
    private ref struct BitReader(ReadOnlySpan<byte> bytes, int position)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _current, _left;

        /// <summary>The offset of the next byte not yet read.</summary>
        public int Position { get; private set; } = position;

        /// <summary>The next bit, or -1 when the data has ended (a marker or the end of the file).</summary>
        public int Bit()
        {
            if (_left == 0)
            {
                if (Position >= _bytes.Length)
                    return -1;
                byte b = _bytes[Position];
                if (b == 0xFF)
                {
                    if (Position + 1 >= _bytes.Length || _bytes[Position + 1] != 0x00)
                        return -1;
                    Position += 2;
                }
                else
                {
                    Position++;
                }
                (_current, _left) = (b, 8);
            }
            _left--;
            return (_current >> _left) & 1;
        }

        public bool Skip(int bits)
        {
            for (int i = 0; i < bits; i++)
            {
                if (Bit() < 0)
                    return false;
            }
            return true;
        }

        /// <summary>Drops the rest of the byte and reads a restart marker (FF D0–D7, after any fill bytes); false if another comes.</summary>
        public bool Restart()
        {
            _left = 0;
            while (Position + 1 < _bytes.Length && _bytes[Position] == 0xFF && _bytes[Position + 1] == 0xFF)
                Position++;
            if (Position + 1 >= _bytes.Length || _bytes[Position] != 0xFF || _bytes[Position + 1] is < 0xD0 or > 0xD7)
                return false;
            Position += 2;
            return true;
        }
    }

    /// <summary>A canonical Huffman code as a DHT segment defines it (ITU T.81, F.2.2.3): per code length, the largest code and where its symbols start.</summary>
    private sealed class HuffmanTable
    {
        public const int OutOfData = -1, BadCode = -2;
        private readonly int[] _maxCode = new int[17], _offset = new int[17];
        private readonly byte[] _symbols;

        private HuffmanTable(byte[] symbols) => _symbols = symbols;

        /// <summary>Null when the counts give more codes of some length than fit, the all-ones code included (libjpeg refuses such a table).</summary>
        public static HuffmanTable? Create(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> symbols)
        {
            var table = new HuffmanTable(symbols.ToArray());
            int code = 0, index = 0;
            for (int length = 1; length <= 16; length++)
            {
                int n = counts[length - 1];
                table._offset[length] = index - code;
                code += n;
                index += n;
                if (code >= 1 << length)
                    return null;
                table._maxCode[length] = n == 0 ? -1 : code - 1;
                code <<= 1;
            }
            return table;
        }

        /// <summary>The next symbol, or <see cref="OutOfData"/> or <see cref="BadCode"/>.</summary>
        public int Decode(ref BitReader reader)
        {
            int code = 0;
            for (int length = 1; length <= 16; length++)
            {
                int bit = reader.Bit();
                if (bit < 0)
                    return OutOfData;
                code = (code << 1) | bit;
                if (code <= _maxCode[length])
                    return _symbols[code + _offset[length]];
            }
            return BadCode;
        }
    }
}
