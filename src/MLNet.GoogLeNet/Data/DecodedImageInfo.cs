using System.Globalization;

namespace MLNet.GoogLeNet.Data;

/// <summary>What decoding an image file found: its size, and whether any pixel has colour (the decoder always gives four channels).</summary>
internal readonly record struct DecodedImageInfo(int Width, int Height, bool Colour)
{
    /// <summary>3 when any of <paramref name="shapes"/> is in colour, else 1: reading colour as grayscale loses what may tell classes apart.</summary>
    public static int ChannelsToKeep(IEnumerable<DecodedImageInfo> shapes) => shapes.Any(s => s.Colour) ? 3 : 1;

    /// <summary>"3 of 40 images are not 32×32 (64×48: 2, 40×40: 1) and are resized; 5 of 40 are in colour and are converted to grayscale.", or null.</summary>
    public static string? DescribeConversion(IReadOnlyCollection<DecodedImageInfo> shapes, int size, int channels)
    {
        var parts = new List<string>();
        var resized = shapes.Where(s => s.Width != size || s.Height != size).ToList();
        if (resized.Count > 0)
        {
            var sizes = resized.GroupBy(s => (s.Width, s.Height)).OrderByDescending(g => g.Count()).ThenBy(g => g.Key)
                .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key.Width}×{g.Key.Height}: {g.Count()}")).ToList();
            string listed = string.Join(", ", sizes.Take(5)) + (sizes.Count > 5 ? $", and {sizes.Count - 5} other size(s)" : "");
            parts.Add(string.Create(CultureInfo.InvariantCulture,
                $"{resized.Count} of {shapes.Count} image(s) are not {size}×{size} ({listed}) and are resized to {size}×{size}"));
        }
        int colour = shapes.Count(s => s.Colour);
        if (channels == 1 && colour > 0)
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{colour} of {shapes.Count} image(s) are in colour and are converted to grayscale"));
        return parts.Count == 0 ? null : string.Join("; ", parts) + ".";
    }
}
