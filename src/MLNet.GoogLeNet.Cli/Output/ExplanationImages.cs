using System.Globalization;
using MLNet.GoogLeNet.Interpretation;
using MLNet.GoogLeNet.IO;
using SkiaSharp;

namespace MLNet.GoogLeNet.Cli.Output;

/// <summary>
/// The PNGs of <c>predict --explain</c>: <c>.heatmap.png</c>, the Grad-CAM heatmap alone in grey levels at the image's
/// size (white where the evidence is strongest), for tools; and <c>.explain.png</c>, for people: the image and the
/// heatmap in colour over it side by side, enlarged when small, with the best classes below.
/// </summary>
internal static class ExplanationImages
{
    public const string ExplainSuffix = ".explain.png";
    public const string HeatmapSuffix = ".heatmap.png";

    /// <summary>Small images are enlarged by whole factors until their longer side reaches this many pixels.</summary>
    private const int MinimumPanelSide = 224;

    /// <summary>Large images are shrunk until their longer side fits this many pixels.</summary>
    private const int MaximumPanelSide = 512;

    /// <summary>Opacity of the coloured heatmap over the image (0–255).</summary>
    private const byte OverlayAlpha = 140;

    private const float TextSize = 15;

    /// <summary>The two files' base name: "&lt;class folder&gt;_&lt;file name&gt;", the folder that holds the image naming its class.</summary>
    public static string BaseName(string imagePath)
    {
        string full = Path.GetFullPath(imagePath);
        string folder = Path.GetFileName(Path.GetDirectoryName(full)) ?? "";
        return $"{folder}_{Path.GetFileName(full)}";
    }

    /// <summary>The heatmap in grey levels, one pixel per heatmap value (<see cref="ImageExplanation.HeatmapPng"/>).</summary>
    public static void WriteHeatmap(ImageExplanation explanation, string path)
    {
        var png = explanation.HeatmapPng();
        AtomicFile.Write(path, stream => stream.Write(png));
    }

    /// <summary>The image, the image under the coloured heatmap, and the best classes.</summary>
    public static void WriteExplanation(ImageExplanation explanation, string imagePath, string path)
    {
        using var image = SKBitmap.Decode(imagePath)
                          ?? throw new InvalidDataException($"{imagePath}: the image cannot be decoded to draw its explanation.");
        float scale = Scale(image.Width, image.Height);
        int panelWidth = (int)Math.Round(image.Width * scale), panelHeight = (int)Math.Round(image.Height * scale);
        var lines = new List<string> { $"Grad-CAM for {explanation.ExplainedClass}" };
        lines.AddRange(explanation.TopClasses.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.ClassName}: {c.Probability:F3}")));
        int lineHeight = (int)(TextSize * 1.4f);
        int width = Math.Max(2 * panelWidth + 3 * Margin, 260), height = panelHeight + 2 * Margin + lines.Count * lineHeight + Margin;

        using var canvasBitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(canvasBitmap))
        {
            canvas.Clear(SKColors.White);
            using var picture = SKImage.FromBitmap(image);
            using var overlay = ColourHeatmap(explanation);
            var sampling = new SKSamplingOptions(SKFilterMode.Linear);
            var left = SKRect.Create(Margin, Margin, panelWidth, panelHeight);
            var right = SKRect.Create(2 * Margin + panelWidth, Margin, panelWidth, panelHeight);
            canvas.DrawImage(picture, left, sampling);
            canvas.DrawImage(picture, right, sampling);
            canvas.DrawImage(overlay, right, sampling);
            using var font = new SKFont(SKTypeface.Default, TextSize);
            using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            for (int i = 0; i < lines.Count; i++)
                canvas.DrawText(lines[i], Margin, panelHeight + 2 * Margin + (i + 1) * lineHeight - 4, SKTextAlign.Left, font, paint);
        }
        WritePng(canvasBitmap, path);
    }

    private const int Margin = 8;

    /// <summary>The image with the coloured heatmap over it, at most <see cref="Thumbnails.MaximumSide"/> pixels a side, as a data URI.</summary>
    public static string OverlayDataUri(ImageExplanation explanation, string imagePath)
    {
        using var image = SKBitmap.Decode(imagePath)
                          ?? throw new InvalidDataException($"{imagePath}: the image cannot be decoded to draw its explanation.");
        float scale = Math.Min(1f, (float)Thumbnails.MaximumSide / Math.Max(image.Width, image.Height));
        int width = Math.Max(1, (int)(image.Width * scale)), height = Math.Max(1, (int)(image.Height * scale));
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            using var picture = SKImage.FromBitmap(image);
            using var overlay = ColourHeatmap(explanation);
            var sampling = new SKSamplingOptions(SKFilterMode.Linear);
            canvas.DrawImage(picture, SKRect.Create(width, height), sampling);
            canvas.DrawImage(overlay, SKRect.Create(width, height), sampling);
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return "data:image/png;base64," + Convert.ToBase64String(data.AsSpan());
    }

    private static float Scale(int width, int height)
    {
        int side = Math.Max(width, height);
        if (side > MaximumPanelSide) return (float)MaximumPanelSide / side;
        return Math.Max(1, MinimumPanelSide / side);
    }

    /// <summary>The heatmap in colour (blue, cyan, yellow, red as it rises), translucent.</summary>
    private static SKImage ColourHeatmap(ImageExplanation explanation)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(explanation.Width, explanation.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var heatmap = explanation.Heatmap;
        for (int y = 0; y < explanation.Height; y++)
        for (int x = 0; x < explanation.Width; x++)
            bitmap.SetPixel(x, y, Colour(heatmap[y * explanation.Width + x]));
        return SKImage.FromBitmap(bitmap);
    }

    internal static SKColor Colour(float value)
    {
        float v = Math.Clamp(value, 0f, 1f);
        // Piecewise linear through blue (0), cyan (1/3), yellow (2/3) and red (1).
        float r = Math.Clamp(3 * v - 1, 0, 1), g = Math.Min(Math.Clamp(3 * v, 0, 1), Math.Clamp(3 - 3 * v, 0, 1)), b = Math.Clamp(2 - 3 * v, 0, 1);
        return new SKColor((byte)(r * 255), (byte)(g * 255), (byte)(b * 255), OverlayAlpha);
    }

    private static void WritePng(SKBitmap bitmap, string path)
    {
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
                         ?? throw new InvalidOperationException($"SkiaSharp could not encode {path} as PNG.");
        AtomicFile.Write(path, data.SaveTo);
    }
}
