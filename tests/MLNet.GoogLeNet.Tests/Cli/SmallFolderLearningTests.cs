using System.Text.Json;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Cli;

/// <summary>
/// The default preset on a user's small folder of real images: bench/ImageFolders writes the UCI handwritten digits
/// (8×8 in 10 classes, as Debian's python3-sklearn ships them) as a Model Builder-style folder, and
/// <c>googlenet train --data FOLDER</c> learns them — 1,000 images at 32×32 for 6 epochs here, to keep the suite
/// short; 1,500 images with the 96×96, 10-epoch defaults are measured by bench/small-folders.sh (docs/recipe.md).
/// </summary>
public sealed class SmallFolderLearningTests : IDisposable
{
    private const string Digits = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";

    private static string ImageFolders => RepositoryPaths.BuiltAssembly(Path.Combine("bench", "ImageFolders"), "ImageFolders");

    private readonly string _work = Directory.CreateTempSubdirectory("googlenet-digits-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [DebianFileFact(Digits, "python3-sklearn")]
    public void Default_preset_learns_a_folder_of_handwritten_digits()
    {
        string folder = Path.Combine(_work, "digits");
        var written = ProcessRunner.RunDotnet(ImageFolders, ["--out", folder, "--source", "digits", "--images", "1000", "--data", Digits], TimeSpan.FromMinutes(1));
        Assert.True(written.ExitCode == 0, written.Error);
        Assert.Equal(10, Directory.GetDirectories(folder).Length);
        Assert.Equal(1000, Directory.GetFiles(folder, "*.png", SearchOption.AllDirectories).Length);

        string model = Path.Combine(_work, "out", "model.zip");
        var train = CliEndToEndTests.Run("train", "--data", folder, "--image-size", "32", "--epochs", "6", "--model", model);
        Assert.True(train.ExitCode == 0, train.Output);
        Assert.Contains("10 classes, 799 training and 201 test images", train.Output);
        Assert.Contains("the default preset", train.Output);
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(_work, "out", "training-metrics.json")));
        double heldOut = metrics.RootElement.GetProperty("epochs").EnumerateArray().Last().GetProperty("testAccuracy").GetDouble();
        // Chance is 0.1; measured 0.98 on 2 cores.
        Assert.True(heldOut >= 0.9, $"held-out accuracy {heldOut:F3} after 6 epochs:\n{train.Output}");
    }
}
