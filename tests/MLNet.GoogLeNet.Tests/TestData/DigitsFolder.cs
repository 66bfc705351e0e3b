namespace MLNet.GoogLeNet.Tests.TestData;

/// <summary>
/// A small folder of real images: the UCI handwritten digits (8×8, 10 classes) that Debian's python3-sklearn ships,
/// written by bench/ImageFolders as a Model Builder-style folder, one sub-folder per digit.
/// </summary>
internal static class DigitsFolder
{
    /// <summary>The digits as python3-sklearn installs them; tests that need them are skipped without it.</summary>
    public const string Source = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";

    /// <summary>The Debian package that installs <see cref="Source"/>.</summary>
    public const string Package = "python3-sklearn";

    private static string ImageFolders => RepositoryPaths.BuiltAssembly(Path.Combine("bench", "ImageFolders"), "ImageFolders");

    /// <summary>Writes <paramref name="images"/> digits into <paramref name="folder"/>, one sub-folder per class.</summary>
    public static void Write(string folder, int images)
    {
        var written = ProcessRunner.RunDotnet(ImageFolders,
            ["--out", folder, "--source", "digits", "--images", images.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", Source],
            TimeSpan.FromMinutes(1));
        Assert.True(written.ExitCode == 0, written.Error);
        Assert.Equal(10, Directory.GetDirectories(folder).Length);
        Assert.Equal(images, Directory.GetFiles(folder, "*.png", SearchOption.AllDirectories).Length);
    }
}
