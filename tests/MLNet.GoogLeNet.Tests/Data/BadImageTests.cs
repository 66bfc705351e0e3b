using Microsoft.ML.Data;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Data;

/// <summary>
/// Every file that cannot be decoded completely is reported with its path and the reason in words — including a PNG
/// cut short, which the decoder alone would fill with blank rows and accept.
/// </summary>
public sealed class BadImageTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-bad-images-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A real 40×40 PNG of a pattern, as the training fixtures write them.</summary>
    private string WritePng(string name, string pattern = "disc")
    {
        string path = Path.Combine(_folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        PatternImages.WritePng(path, PatternImages.Draw(pattern, 40, new Random(name.Length)), 40);
        return path;
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string Reason(string path) =>
        ImageFolder.CheckFile(path) ?? throw new Xunit.Sdk.XunitException($"'{path}' was accepted");

    [Fact]
    public void Complete_png_is_accepted_and_the_same_png_cut_to_a_third_is_reported_as_truncated()
    {
        string good = WritePng("good.png");
        Assert.Null(ImageFolder.CheckFile(good));

        byte[] bytes = File.ReadAllBytes(good);
        string cut = Write("cut.png", bytes[..(bytes.Length / 3)]);
        string reason = Reason(cut);
        Assert.StartsWith("truncated", reason);
        Assert.Contains("IDAT", reason);  // the cut falls inside the pixel data chunk
        // Why the container is checked: the decoder alone accepts the cut file as a whole 40×40 image.
        using var decoded = MLImage.CreateFromFile(cut);
        Assert.Equal((40, 40), (decoded.Width, decoded.Height));
    }

    [Fact]
    public void Image_bytes_in_memory_are_checked_as_files_are()
    {
        // The public check a serving application gives uploaded bytes to (examples/WebApi), in the serving assembly.
        byte[] png = File.ReadAllBytes(WritePng("bytes.png"));
        Assert.Null(ImageFileCheck.Problem(png));
        string? reason = ImageFileCheck.Problem(png.AsSpan(0, png.Length / 3));
        Assert.Equal(Reason(Write("bytes-cut.png", png[..(png.Length / 3)])), reason);
        Assert.Equal("empty file (0 bytes)", ImageFileCheck.Problem([]));
    }

    [Fact]
    public void Empty_text_and_corrupt_files_are_reported_in_words()
    {
        Assert.Equal("empty file (0 bytes)", Reason(Write("empty.png", [])));

        string text = Reason(Write("notes.png", "hello, this is text"u8.ToArray()));
        Assert.StartsWith("not an image", text);
        Assert.Contains("\"hello, t\"", text);
        Assert.StartsWith("not an image (starts with the bytes 00 01 02", Reason(Write("binary.jpg", [0, 1, 2, 3, 4, 5, 6, 7, 8])));

        byte[] png = File.ReadAllBytes(WritePng("header.png"));
        png[16] ^= 0xFF;  // inside IHDR's width: its CRC no longer matches
        string header = Reason(Write("bad-header.png", png));
        Assert.StartsWith("corrupt header", header);
        Assert.Contains("CRC", header);

        byte[] body = File.ReadAllBytes(WritePng("body.png"));
        body[^20] ^= 0xFF;  // inside the last IDAT chunk
        Assert.StartsWith("corrupt: the 'IDAT' chunk", Reason(Write("bad-body.png", body)));
    }

    [Fact]
    public void Jpeg_bmp_and_gif_are_checked_to_their_end()
    {
        string jpeg = Path.Combine(_folder, "photo.jpg");
        using (var image = GrayscaleImages.ToImage(PatternImages.Draw("checker", 40, new Random(3)), 40, 40))
            image.Save(jpeg);
        Assert.Null(ImageFolder.CheckFile(jpeg));
        byte[] jpegBytes = File.ReadAllBytes(jpeg);
        Assert.StartsWith("truncated", Reason(Write("cut.jpg", jpegBytes[..(jpegBytes.Length / 2)])));

        byte[] bmp = Bmp(width: 3, height: 2);
        Assert.Null(ImageFolder.CheckFile(Write("small.bmp", bmp)));
        Assert.StartsWith("truncated", Reason(Write("cut.bmp", bmp[..^5])));

        // A 1×1 GIF: header, screen descriptor with a 2-colour table, image descriptor, LZW data, trailer.
        byte[] gif =
        [
            .. "GIF89a"u8, 1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255,
            0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3B,
        ];
        Assert.Null(ImageFolder.CheckFile(Write("dot.gif", gif)));
        Assert.StartsWith("truncated", Reason(Write("cut.gif", gif[..^1])));
    }

    /// <summary>An uncompressed 24-bit BMP of gray pixels.</summary>
    private static byte[] Bmp(int width, int height) => ImageBytes.Bmp(width, height, (_, _) => (128, 128, 128));

    public static TheoryData<string, byte[]> PixelBombs() => new()
    {
        { "png", Png(40000, 40000) },
        { "jpeg", [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 8, 0x9C, 0x40, 0x9C, 0x40, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9] },
        { "gif", [.. "GIF89a"u8, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0x3B] },
        { "bmp", BmpHeader(40000, 40000) },
    };

    [Theory]
    [MemberData(nameof(PixelBombs))]
    public void A_file_of_a_few_bytes_announcing_a_huge_image_is_refused_before_decoding(string format, byte[] bomb)
    {
        Assert.True(bomb.Length < 100, $"the {format} bomb has {bomb.Length} bytes");
        string path = Path.Combine(_folder, "bomb." + (format == "jpeg" ? "jpg" : format));
        File.WriteAllBytes(path, bomb);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        string? problem = ImageFolder.CheckFile(path);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.NotNull(problem);
        Assert.Contains("too large: its header announces", problem);
        Assert.Contains("ImageFileCheck.MaximumPixels", problem);
        Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated to refuse a {bomb.Length}-byte {format}");

        // The caller's bound replaces the default: above it refused naming it, below it let through to the other checks.
        Assert.Contains("more than the 1,000 allowed (the bound given", ImageFileCheck.Problem(format == "png" ? Png(40, 40) : BmpHeader(40, 40), 1000) ?? "");
        Assert.DoesNotContain("too large", ImageFileCheck.Problem(bomb, 65536L * 65536) ?? "");

        // An image of exactly the limit's order passes the size check (a real 45-megapixel photograph is not refused).
        Assert.DoesNotContain("too large", ImageFileCheck.Problem(format == "png" ? Png(7000, 7000) : BmpHeader(7000, 7000)) ?? "");
    }

    private static byte[] Png(uint width, uint height) => ImageBytes.PngHeaderOnly(width, height);

    private static byte[] BmpHeader(int width, int height) => ImageBytes.Bmp(width, height, headerOnly: true);

    [Fact]
    public void Image_folder_reports_each_bad_file_by_path_and_reason_and_skips_or_fails()
    {
        for (int i = 0; i < 3; i++)
        {
            WritePng($"disc/{i}.png");
            WritePng($"checker/{i}.png", "checker");
        }
        byte[] png = File.ReadAllBytes(Path.Combine(_folder, "disc", "0.png"));
        string cut = Write("disc/cut.png", png[..(png.Length / 3)]);
        string empty = Write("checker/empty.png", []);
        string text = Write("checker/readme.png", "not a picture"u8.ToArray());

        var scan = ImageFolder.Scan(_folder);
        Assert.Equal(6, scan.Images.Count);
        var bad = scan.BadFiles.ToDictionary(b => Path.GetFileName(b.Path), b => b.Reason);
        Assert.Equal(["cut.png", "empty.png", "readme.png"], bad.Keys.Order());
        Assert.StartsWith("truncated", bad["cut.png"]);
        Assert.StartsWith("empty file", bad["empty.png"]);
        Assert.StartsWith("not an image", bad["readme.png"]);

        var error = Assert.Throws<InvalidDataException>(() => ImageFolder.Scan(_folder, BadImagePolicy.Fail));
        foreach (var path in new[] { cut, empty, text })
            Assert.Contains(path, error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Scan_records_sizes_and_colour_and_describes_the_conversion_once()
    {
        WritePng("disc/0.png");
        WritePng("disc/1.png");
        string wide = Path.Combine(_folder, "checker", "wide.png");
        Directory.CreateDirectory(Path.GetDirectoryName(wide)!);
        var bgra = new byte[64 * 48 * 4];
        for (int i = 0; i < bgra.Length; i += 4)
            (bgra[i], bgra[i + 1], bgra[i + 2], bgra[i + 3]) = ((byte)(i % 251), 40, 200, 255);
        using (var colour = MLImage.CreateFromPixels(64, 48, MLPixelFormat.Bgra32, bgra))
            colour.Save(wide);

        var scan = ImageFolder.Scan(_folder);
        Assert.Equal([(40, 40, false), (40, 40, false), (64, 48, true)],
            scan.Shapes.Select(s => (s.Width, s.Height, s.Colour)).OrderBy(s => s.Width));
        Assert.Equal(
            "3 of 3 image(s) are not 32×32 (40×40: 2, 64×48: 1) and are resized to 32×32; 1 of 3 image(s) are in colour and are converted to grayscale.",
            scan.DescribeConversion(32, 1));
        Assert.Equal("1 of 3 image(s) are not 40×40 (64×48: 1) and are resized to 40×40.", scan.DescribeConversion(40, 3));
        Assert.Equal(3, scan.Channels); // one colour image is enough to keep colour

        File.Delete(wide);
        WritePng("checker/gray.png");
        Assert.Equal(1, ImageFolder.Scan(_folder).Channels);
    }
}
