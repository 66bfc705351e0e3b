using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Tests.TestData;
using Xunit.Abstractions;

namespace MLNet.GoogLeNet.Tests.Data;

/// <summary>
/// A few thousand mutants of real small PNG, JPEG, BMP and GIF files — bits flipped, bytes and size fields overwritten
/// with extreme values, cut short, slices repeated or removed, PNG chunks given valid CRCs again so that the damage
/// reaches past the CRC check — each given to <see cref="ImageFileCheck.Problem"/> and to the path <c>train</c> and
/// <c>predict</c> take for a file (<c>ImageFolder.Inspect</c>: the check, then the decoder). Neither may throw, hang or
/// allocate without bound: a file is refused in words or decoded. The mutants are seeded; a failure names the seed and
/// the mutant's index, and <see cref="Mutant"/> rebuilds it from them.
/// </summary>
/// <remarks>The process's peak memory is read, so the class runs alone (its collection is not parallelised).</remarks>
[Collection(Collection)]
public sealed class ImageFuzzTests(ITestOutputHelper output) : IDisposable
{
    public const string Collection = "Image fuzzing (alone)";

    public const int Seed = 20261204;
    private const int MutantsPerFormat = 1000;
    private static readonly TimeSpan PerFile = TimeSpan.FromSeconds(10);
    private const long ManagedBytesPerFile = 16 << 20;
    private const long PeakGrowth = 200L << 20;

    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static readonly string[] Formats = ["png", "jpeg", "bmp", "gif"];

    /// <summary>The real file each format's mutants start from: small, and decoded whole by ML.NET's decoder.</summary>
    public static byte[] Source(string format)
    {
        switch (format)
        {
            case "png":
            case "jpeg":
            {
                // Colour stripes and noise; ML.NET's own encoder writes the file (by extension).
                const int width = 24, height = 20;
                var random = new Random(7);
                var bgra = new byte[width * height * 4];
                for (int i = 0; i < bgra.Length; i += 4)
                    (bgra[i], bgra[i + 1], bgra[i + 2], bgra[i + 3]) = ((byte)(i % 7 * 30), (byte)random.Next(256), (byte)(i / 96 * 12), 255);
                string path = Path.Combine(Path.GetTempPath(), $"googlenet-fuzz-source-{Guid.NewGuid():N}.{(format == "png" ? "png" : "jpg")}");
                try
                {
                    using (var image = MLImage.CreateFromPixels(width, height, MLPixelFormat.Bgra32, bgra))
                        image.Save(path);
                    return File.ReadAllBytes(path);
                }
                finally
                {
                    File.Delete(path);
                }
            }
            case "bmp":
                return Bmp(13, 9);
            case "gif":
                return Gif(10, 6);
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, null);
        }
    }

    /// <summary>Mutant <paramref name="index"/> of <paramref name="format"/>'s source under <paramref name="seed"/>, and what was done to it.</summary>
    public static (byte[] Bytes, string Mutations) Mutant(string format, int seed, int index) =>
        Mutate(Sources.GetOrAdd(format, Source), new Random(unchecked(seed * 7919 + Array.IndexOf(Formats, format) * 1_000_003 + index) & int.MaxValue),
            format == "png");

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> Sources = new();

    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x7F, 0x80, 0xFF];
    private static readonly uint[] InterestingValues = [0, 1, 0x7F, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x1_0000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF];

    private static (byte[] Bytes, string Mutations) Mutate(byte[] source, Random random, bool png)
    {
        var bytes = new List<byte>(source);
        var done = new List<string>();
        int operations = 1 + random.Next(3);
        for (int op = 0; op < operations && bytes.Count > 0; op++)
        {
            // Headers hold the sizes: half of the positions fall in the first 64 bytes.
            int at = random.Next(2) == 0 ? random.Next(Math.Min(64, bytes.Count)) : random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0:
                    int bit = random.Next(8);
                    bytes[at] ^= (byte)(1 << bit);
                    done.Add($"flip bit {bit} of byte {at}");
                    break;
                case 1:
                    byte value = InterestingBytes[random.Next(InterestingBytes.Length)];
                    bytes[at] = value;
                    done.Add($"byte {at} = {value:X2}");
                    break;
                case 2:
                    uint field = InterestingValues[random.Next(InterestingValues.Length)];
                    int width = random.Next(2) == 0 ? 2 : 4;
                    bool big = random.Next(2) == 0;
                    var encoded = new byte[4];
                    if (big)
                        BinaryPrimitives.WriteUInt32BigEndian(encoded, field);
                    else
                        BinaryPrimitives.WriteUInt32LittleEndian(encoded, field);
                    var written = big ? encoded[(4 - width)..] : encoded[..width];
                    for (int i = 0; i < width && at + i < bytes.Count; i++)
                        bytes[at + i] = written[i];
                    done.Add($"{width}-byte {(big ? "big" : "little")}-endian {field:X} at {at}");
                    break;
                case 3:
                    bytes.RemoveRange(at, bytes.Count - at);
                    done.Add($"cut to {at} bytes");
                    break;
                case 4:
                    int repeat = 1 + random.Next(Math.Min(64, bytes.Count - at));
                    bytes.InsertRange(at + repeat, bytes.GetRange(at, repeat));
                    done.Add($"bytes {at}..{at + repeat} repeated");
                    break;
                default:
                    int remove = 1 + random.Next(Math.Min(64, bytes.Count - at));
                    bytes.RemoveRange(at, remove);
                    done.Add($"bytes {at}..{at + remove} removed");
                    break;
            }
        }
        byte[] result = [.. bytes];
        if (png && random.Next(2) == 0)
        {
            FixCrcs(result);
            done.Add("PNG CRCs made valid");
        }
        return (result, string.Join("; ", done));
    }

    /// <summary>Rewrites the CRC of every whole chunk, so that a mutation is seen by what comes after the CRC check.</summary>
    private static void FixCrcs(byte[] png)
    {
        for (int offset = 8; offset + 12 <= png.Length;)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset));
            if (length > png.Length - offset - 12)
                return;
            uint crc = ImageBytes.Crc32(png.AsSpan((offset + 4)..(offset + 8 + (int)length)));
            BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(offset + 8 + (int)length), crc);
            offset += 12 + (int)length;
        }
    }

    [LinuxFact]
    public void Mutated_png_jpeg_bmp_and_gif_files_are_refused_in_words_or_decoded_never_crash_hang_or_balloon()
    {
        string path = Path.Combine(_folder, "mutant");
        long residentBefore = ResetPeak();
        var clock = Stopwatch.StartNew();
        foreach (string format in Formats)
        {
            byte[] source = Source(format);
            var (whole, shape) = ImageFolder.Inspect(WriteFile(path, source), ImageFileCheck.MaximumPixels);
            Assert.True(whole is null, $"the {format} source itself is refused: {whole}");
            Assert.Equal(format switch { "bmp" => (13, 9), "gif" => (10, 6), _ => (24, 20) }, (shape.Width, shape.Height));

            int refusedByCheck = 0, refusedByDecoder = 0, decoded = 0;
            long mostAllocated = 0;
            for (int index = 0; index < MutantsPerFormat; index++)
            {
                var (bytes, mutations) = Mutant(format, Seed, index);
                string Name() => $"{format} mutant {index} of seed {Seed} ({mutations}; {bytes.Length} bytes; " +
                                  $"ImageFuzzTests.Mutant(\"{format}\", {Seed}, {index}) rebuilds it)";
                WriteFile(path, bytes);
                var run = Task.Run(() =>
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    string? check = ImageFileCheck.Problem(bytes);
                    var (problem, _) = ImageFolder.Inspect(path, ImageFileCheck.MaximumPixels);
                    return (check, problem, Allocated: GC.GetAllocatedBytesForCurrentThread() - before);
                });
                try
                {
                    if (!run.Wait(PerFile))
                        Assert.Fail($"{Name()}: no answer after {PerFile.TotalSeconds} s");
                }
                catch (AggregateException e)
                {
                    Assert.Fail($"{Name()}: {e.InnerException}");
                }
                var (check, problem, allocated) = run.Result;
                Assert.True(allocated < ManagedBytesPerFile, $"{Name()}: {allocated:N0} bytes allocated");
                mostAllocated = Math.Max(mostAllocated, allocated);
                if (check is not null)
                {
                    Assert.Equal(check, problem);  // the words a file's reader gives are the check's
                    refusedByCheck++;
                }
                else if (problem is not null)
                {
                    Assert.StartsWith("cannot be decoded", problem);
                    refusedByDecoder++;
                }
                else
                {
                    decoded++;
                }
            }
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{format}: {refusedByCheck} refused by the check, {refusedByDecoder} by the decoder, {decoded} decoded; at most {mostAllocated:N0} managed bytes for one file"));
        }
        long peakGrowth = Status("VmHWM") - residentBefore;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Formats.Length * MutantsPerFormat} mutants in {clock.Elapsed.TotalSeconds:F1} s; peak resident memory {peakGrowth / (1 << 20)} MB above the start"));
        Assert.True(peakGrowth < PeakGrowth, $"the process's peak resident memory grew by {peakGrowth:N0} bytes over the mutants");
    }

    private static string WriteFile(string path, byte[] bytes)
    {
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>
    /// The resident set now, after resetting the process's peak to it (writing 5 to /proc/self/clear_refs, Linux 4.0 and
    /// later), so that the peak read afterwards is this test's, not an earlier test's.
    /// </summary>
    private static long ResetPeak()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        File.WriteAllText("/proc/self/clear_refs", "5");
        return Status("VmRSS");
    }

    /// <summary>A line of /proc/self/status in bytes (the file gives kB).</summary>
    private static long Status(string field)
    {
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>An uncompressed 24-bit BMP of a colour gradient.</summary>
    private static byte[] Bmp(int width, int height) =>
        ImageBytes.Bmp(width, height, (x, y) => ((byte)(x * 19), (byte)(y * 27), (byte)((x + y) * 11)));

    /// <summary>
    /// A GIF of a 4-colour pattern. Its LZW data clears the code table after every two pixels, so every code stays 3
    /// bits wide: a valid stream that needs no compressor.
    /// </summary>
    private static byte[] Gif(int width, int height)
    {
        var bytes = new List<byte>([.. "GIF89a"u8, (byte)width, 0, (byte)height, 0, 0x81, 0, 0]);
        bytes.AddRange([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]);  // colour table: black, red, green, blue
        bytes.AddRange([0x2C, 0, 0, 0, 0, (byte)width, 0, (byte)height, 0, 0, 2]);  // image descriptor, LZW minimum code size 2
        const int clear = 4, end = 5;
        var codes = new List<int>();
        for (int i = 0; i < width * height; i++)
        {
            if (i % 2 == 0)
                codes.Add(clear);
            codes.Add((i % width + i / width) % 4);
        }
        codes.Add(end);
        var data = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (int code in codes)
        {
            buffer |= code << bits;
            bits += 3;
            while (bits >= 8)
            {
                data.Add((byte)buffer);
                buffer >>= 8;
                bits -= 8;
            }
        }
        if (bits > 0)
            data.Add((byte)buffer);
        foreach (var block in data.Chunk(255))
        {
            bytes.Add((byte)block.Length);
            bytes.AddRange(block);
        }
        bytes.AddRange([0, 0x3B]);
        return [.. bytes];
    }
}

/// <summary>Runs <see cref="ImageFuzzTests"/> after the parallel tests, with nothing beside it.</summary>
[CollectionDefinition(ImageFuzzTests.Collection, DisableParallelization = true)]
public sealed class ImageFuzzCollection;
