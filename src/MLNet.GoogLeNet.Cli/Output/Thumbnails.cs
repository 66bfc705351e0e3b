using Microsoft.ML.Data;
using SkiaSharp;

namespace MLNet.GoogLeNet.Cli.Output;

/// <summary>Small PNGs of test images as <c>data:</c> URIs, for a report that is one self-contained file.</summary>
internal static class Thumbnails
{
    /// <summary>Images are shrunk until their longer side fits this many pixels (small ones are kept as they are).</summary>
    public const int MaximumSide = 96;

    /// <summary>A thumbnail of an image file.</summary>
    public static string FromFile(string path)
    {
        using var bitmap = SKBitmap.Decode(path) ?? throw new InvalidDataException($"{path}: the image cannot be decoded for the report.");
        return FromBitmap(bitmap);
    }

    /// <summary>A thumbnail of an in-memory image (ML.NET's, BGRA or RGBA).</summary>
    public static string FromImage(MLImage image)
    {
        var colour = image.PixelFormat == MLPixelFormat.Rgba32 ? SKColorType.Rgba8888 : SKColorType.Bgra8888;
        using var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, colour, SKAlphaType.Unpremul));
        var pixels = image.Pixels;
        int rowBytes = image.Width * 4;
        for (int y = 0; y < image.Height; y++)
            System.Runtime.InteropServices.Marshal.Copy(pixels.Slice(y * rowBytes, rowBytes).ToArray(), 0, bitmap.GetPixels() + y * bitmap.RowBytes, rowBytes);
        return FromBitmap(bitmap);
    }

    private static string FromBitmap(SKBitmap bitmap)
    {
        int side = Math.Max(bitmap.Width, bitmap.Height);
        SKBitmap? resized = null;
        if (side > MaximumSide)
        {
            double scale = (double)MaximumSide / side;
            resized = bitmap.Resize(new SKImageInfo(Math.Max(1, (int)(bitmap.Width * scale)), Math.Max(1, (int)(bitmap.Height * scale))),
                new SKSamplingOptions(SKFilterMode.Linear));
        }
        try
        {
            using var data = (resized ?? bitmap).Encode(SKEncodedImageFormat.Png, 100);
            return "data:image/png;base64," + Convert.ToBase64String(data.AsSpan());
        }
        finally
        {
            resized?.Dispose();
        }
    }

    /// <summary>A PNG file as a data URI.</summary>
    public static string PngFile(string path) => "data:image/png;base64," + Convert.ToBase64String(File.ReadAllBytes(path));
}
