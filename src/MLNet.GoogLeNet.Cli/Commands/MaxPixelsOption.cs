namespace MLNet.GoogLeNet.Cli.Commands;

/// <summary>--max-pixels, which train, evaluate and predict share: its help text and its check.</summary>
internal static class MaxPixelsOption
{
    public const string Help =
        "The most pixels an image's header may announce; larger files are refused before decoding (a file of a few bytes can announce gigabytes of pixels). Raise it for very large photographs: each image decoded takes 4 bytes a pixel. Default: ImageFileCheck.MaximumPixels, 50,000,000.";

    /// <summary>The problem with <paramref name="value"/> in the command line's words, or null.</summary>
    public static string? FindProblem(long value) =>
        value < 1 ? $"--max-pixels must be at least 1 (got {value})" : null;
}
