using System.Buffers.Binary;
using System.Text;

namespace MLNet.GoogLeNet.Native;

/// <summary>
/// Reads and edits the two tables of a 64-bit little-endian ELF shared library that decide whether the dynamic loader
/// accepts it: the libraries it needs (<c>DT_NEEDED</c>) and the symbol versions it needs from them
/// (<c>.gnu.version_r</c>). Works on the file's bytes; every offset is bounds-checked, so a truncated or foreign file
/// gives an <see cref="InvalidDataException"/>, never a wrong edit.
/// </summary>
internal static class ElfVersionNeeds
{
    private const uint ShtDynamic = 6;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const long DtNeeded = 1;
    private const ushort VerFlgWeak = 0x2;

    /// <summary>What <see cref="MarkWeak"/> did.</summary>
    public enum Outcome
    {
        /// <summary>The entry was strong and is now weak.</summary>
        Marked,
        /// <summary>The entry was weak already; nothing changed.</summary>
        AlreadyWeak,
        /// <summary>The library does not need the version; nothing changed.</summary>
        NotNeeded,
    }

    /// <summary>
    /// Sets <c>VER_FLG_WEAK</c> on every version-need entry named <paramref name="version"/>, in place. For a weak entry
    /// the loader accepts the library when the version is missing (it warns only under <c>LD_WARN</c>/<c>ldd -v</c>).
    /// </summary>
    public static Outcome MarkWeak(byte[] elf, string version)
    {
        var sections = Sections(elf);
        var verneed = sections.FirstOrDefault(s => s.Type == ShtGnuVerneed);
        if (verneed.Type == 0)
            return Outcome.NotNeeded;
        var strings = sections[Checked(verneed.Link, sections.Length)];

        bool found = false, changed = false;
        int need = verneed.Offset;
        for (int n = 0; n < verneed.Info; n++)
        {
            int count = U16(elf, need + 2);
            int aux = need + (int)U32(elf, need + 8);
            for (int a = 0; a < count; a++)
            {
                if (Name(elf, strings, U32(elf, aux + 8)) == version)
                {
                    found = true;
                    ushort flags = (ushort)U16(elf, aux + 4);
                    if ((flags & VerFlgWeak) == 0)
                    {
                        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(aux + 4, 2), (ushort)(flags | VerFlgWeak));
                        changed = true;
                    }
                }
                aux += (int)U32(elf, aux + 12);
            }
            need += (int)U32(elf, need + 12);
        }
        return changed ? Outcome.Marked : found ? Outcome.AlreadyWeak : Outcome.NotNeeded;
    }

    /// <summary>The library names of the <c>DT_NEEDED</c> entries, in the order the loader loads them.</summary>
    public static IReadOnlyList<string> Needed(byte[] elf)
    {
        var sections = Sections(elf);
        var dynamic = sections.FirstOrDefault(s => s.Type == ShtDynamic);
        if (dynamic.Type == 0)
            return [];
        var strings = sections[Checked(dynamic.Link, sections.Length)];
        var needed = new List<string>();
        for (long entry = dynamic.Offset; entry + 16 <= dynamic.Offset + dynamic.Size; entry += 16)
        {
            long tag = BinaryPrimitives.ReadInt64LittleEndian(Span(elf, (int)entry, 8));
            if (tag == 0)
                break;
            if (tag == DtNeeded)
                needed.Add(Name(elf, strings, (uint)BinaryPrimitives.ReadUInt64LittleEndian(Span(elf, (int)entry + 8, 8))));
        }
        return needed;
    }

    private readonly record struct Section(uint Type, int Offset, long Size, uint Link, uint Info);

    private static Section[] Sections(byte[] elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != 'E' || elf[2] != 'L' || elf[3] != 'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("not a 64-bit little-endian ELF file");
        long shoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(Span(elf, 0x28, 8));
        int shentsize = U16(elf, 0x3A);
        int shnum = U16(elf, 0x3C);
        if (shentsize < 64 || shoff <= 0 || shoff + (long)shentsize * shnum > elf.Length)
            throw new InvalidDataException("section headers outside the file");
        var sections = new Section[shnum];
        for (int s = 0; s < shnum; s++)
        {
            int header = (int)shoff + s * shentsize;
            long offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(Span(elf, header + 0x18, 8));
            long size = (long)BinaryPrimitives.ReadUInt64LittleEndian(Span(elf, header + 0x20, 8));
            uint type = U32(elf, header + 4);
            // SHT_NOBITS (8) occupies no bytes of the file; every other section must lie inside it.
            if (type != 8 && type != 0 && (offset < 0 || size < 0 || offset + size > elf.Length))
                throw new InvalidDataException($"section {s} lies outside the file");
            sections[s] = new Section(type, (int)offset, size, U32(elf, header + 0x28), U32(elf, header + 0x2C));
        }
        return sections;
    }

    private static string Name(byte[] elf, Section strings, uint offset)
    {
        int start = Checked(strings.Offset + (long)offset, elf.Length);
        int end = Array.IndexOf(elf, (byte)0, start);
        if (end < 0)
            throw new InvalidDataException("unterminated string");
        return Encoding.ASCII.GetString(elf, start, end - start);
    }

    private static int U16(byte[] elf, int offset) => BinaryPrimitives.ReadUInt16LittleEndian(Span(elf, offset, 2));

    private static uint U32(byte[] elf, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(Span(elf, offset, 4));

    private static ReadOnlySpan<byte> Span(byte[] elf, int offset, int length) =>
        offset >= 0 && offset <= elf.Length - length
            ? elf.AsSpan(offset, length)
            : throw new InvalidDataException($"offset {offset} outside the file");

    private static int Checked(long index, int length) =>
        index >= 0 && index < length ? (int)index : throw new InvalidDataException($"index {index} out of range");
}
