using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Data;

/// <summary>
/// Files cut short whose containers are made whole again: a PNG whose chunks (lengths, CRCs, IEND) are all valid but
/// whose compressed pixel data stops early, and a JPEG cut inside its compressed data with the end-of-image marker put
/// back. The decoder accepts both as whole images; the check reads the pixel data and reports them as truncated.
/// </summary>
public sealed class TruncatedPixelDataTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-pixel-data-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private byte[] RealPng()
    {
        string path = Path.Combine(_folder, "real.png");
        PatternImages.WritePng(path, PatternImages.Draw("disc", 40, new Random(5)), 40);
        return File.ReadAllBytes(path);
    }

    private byte[] RealJpeg(string name, int width, int height, bool colour)
    {
        string path = Path.Combine(_folder, name);
        var random = new Random(width * height);
        var bgra = new byte[width * height * 4];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                // Stripes and noise: enough detail that the compressed data is not a handful of bytes.
                byte v = (byte)((x / 3 + y / 5) % 2 * 160 + random.Next(60));
                int i = (y * width + x) * 4;
                (bgra[i], bgra[i + 1], bgra[i + 2], bgra[i + 3]) = colour ? (v, (byte)(255 - v), (byte)(x * 4), (byte)255) : (v, v, v, (byte)255);
            }
        }
        using (var image = MLImage.CreateFromPixels(width, height, MLPixelFormat.Bgra32, bgra))
            image.Save(path);
        return File.ReadAllBytes(path);
    }

    [Fact]
    public void Png_whose_valid_chunks_hold_too_little_pixel_data_is_truncated_and_whole_ones_pass()
    {
        byte[] png = RealPng();
        Assert.Null(ImageFileCheck.Problem(png));
        var (ihdr, zlib, inflated) = Split(png);

        // The same pixel data in chunks of 50 bytes: still whole (a file's IDAT chunks are one stream).
        byte[] rechunked = Png(ihdr, zlib.Chunk(50).ToArray());
        Assert.Null(ImageFolder.CheckFile(Write("rechunked.png", rechunked)));

        foreach (int keep in new[] { zlib.Length / 4, zlib.Length / 2, zlib.Length - 8 })
        {
            string cut = Write($"short-{keep}.png", Png(ihdr, [zlib[..keep]]));
            string reason = ImageFolder.CheckFile(cut) ?? throw new Xunit.Sdk.XunitException($"the PNG with {keep} of {zlib.Length} bytes of pixel data was accepted");
            Assert.StartsWith("truncated", reason);
            Assert.Contains("pixel data (IDAT) decompresses to", reason);
            // What the whole stream inflates to, read here with .NET's own zlib.
            Assert.Contains($"its 40×40 pixels of {8 * (inflated / 40 - 1) / 40} bits need {inflated}", reason);
        }
        // Without the check the file would reach the decoder, which refuses it with words about a path, not the file
        // (ML.NET's "Invalid path"): the check says what is wrong.
        var undecodable = Assert.Throws<ArgumentException>(() => MLImage.CreateFromFile(Path.Combine(_folder, $"short-{zlib.Length / 2}.png")));
        Assert.DoesNotContain("truncated", undecodable.Message);
    }

    [Theory]
    [InlineData(40, 40, false)]
    [InlineData(64, 48, true)]
    [InlineData(101, 37, true)]
    public void Jpeg_cut_inside_its_data_with_the_end_marker_put_back_is_truncated_and_whole_ones_pass(int width, int height, bool colour)
    {
        byte[] jpeg = RealJpeg($"real-{width}.jpg", width, height, colour);
        Assert.Null(ImageFolder.CheckFile(Write($"whole-{width}.jpg", jpeg)));

        int scanStart = ScanDataStart(jpeg);
        foreach (double fraction in new[] { 0.2, 0.5, 0.9 })
        {
            int cutAt = scanStart + (int)((jpeg.Length - 2 - scanStart) * fraction);
            string padded = Write($"padded-{width}-{fraction}.jpg", [.. jpeg[..cutAt], 0xFF, 0xD9]);
            string reason = ImageFolder.CheckFile(padded) ?? throw new Xunit.Sdk.XunitException($"the JPEG cut at byte {cutAt} of {jpeg.Length} with FF D9 appended was accepted");
            Assert.StartsWith("truncated", reason);
            Assert.Contains("the JPEG's compressed image data ends at byte", reason);
            // Why the scan is walked: the decoder alone gives a whole image.
            using var decoded = MLImage.CreateFromFile(padded);
            Assert.Equal((width, height), (decoded.Width, decoded.Height));
        }
    }

    [Fact]
    public void The_web_api_refuses_the_padded_jpeg_with_the_same_words()
    {
        // examples/WebApi refuses an upload whose ImageFileCheck.Problem is not null, with that text (WebApiTests).
        byte[] jpeg = RealJpeg("upload.jpg", 48, 48, colour: true);
        byte[] padded = [.. jpeg[..(jpeg.Length * 2 / 3)], 0xFF, 0xD9];
        Assert.Equal(ImageFolder.CheckFile(Write("upload-padded.jpg", padded)), ImageFileCheck.Problem(padded));
        Assert.StartsWith("truncated", ImageFileCheck.Problem(padded));
    }

    /// <summary>The offset of the first byte after the first SOS segment.</summary>
    private static int ScanDataStart(byte[] jpeg)
    {
        int offset = 2;
        while (jpeg[offset + 1] != 0xDA)
            offset += 2 + BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(offset + 2));
        return offset + 2 + BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(offset + 2));
    }

    /// <summary>The IHDR chunk's data, the IDAT chunks' data joined (the zlib stream) and what it inflates to (bytes).</summary>
    private static (byte[] Ihdr, byte[] Zlib, long Inflated) Split(byte[] png)
    {
        byte[] ihdr = [];
        var zlib = new List<byte>();
        for (int offset = 8; offset < png.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            string type = Encoding.ASCII.GetString(png, offset + 4, 4);
            byte[] data = png[(offset + 8)..(offset + 8 + length)];
            if (type == "IHDR")
                ihdr = data;
            else if (type == "IDAT")
                zlib.AddRange(data);
            offset += 12 + length;
        }
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(new MemoryStream(zlib.ToArray()), CompressionMode.Decompress))
            z.CopyTo(inflated);
        return (ihdr, zlib.ToArray(), inflated.Length);
    }

    /// <summary>A PNG of an IHDR, the given IDAT chunks and IEND, each with its correct CRC.</summary>
    private static byte[] Png(byte[] ihdr, byte[][] idat) => ImageBytes.Png(ihdr, idat);
}
