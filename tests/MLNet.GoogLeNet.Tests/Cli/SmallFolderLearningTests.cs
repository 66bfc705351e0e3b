using System.Text.Json;
using MLNet.GoogLeNet.Tests.Learning;
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
    private readonly string _work = Directory.CreateTempSubdirectory("googlenet-digits-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    /// <summary>1,000 handwritten digits, 6 epochs of the default preset at 32×32: held-out accuracy (chance 0.1).</summary>
    internal static readonly LearningCase DigitsLearned = new(
        $"{nameof(SmallFolderLearningTests)}.{nameof(Default_preset_learns_a_folder_of_handwritten_digits)}", seed: 1,
        seed =>
        {
            using var tests = new SmallFolderLearningTests();
            return tests.LearnTheDigits(seed).Outcome;
        },
        LearningBound.AtLeast("held-out accuracy", 0.9));

    private ((int ExitCode, string Output) Train, LearningOutcome Outcome) LearnTheDigits(int seed)
    {
        string folder = Path.Combine(_work, "digits");
        if (!Directory.Exists(folder))
            DigitsFolder.Write(folder, images: 1000);

        string model = Path.Combine(_work, "out", "model.zip");
        var train = CliEndToEndTests.Run("train", "--data", folder, "--image-size", "32", "--epochs", "6", "--model", model,
            "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(train.ExitCode == 0, train.Output);
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(_work, "out", "training-metrics.json")));
        double heldOut = metrics.RootElement.GetProperty("epochs").EnumerateArray().Last().GetProperty("testAccuracy").GetDouble();
        return (train, new(new Dictionary<string, double> { ["held-out accuracy"] = heldOut }, train.Output));
    }

    [DebianFileFact(DigitsFolder.Source, DigitsFolder.Package)]
    public void Default_preset_learns_a_folder_of_handwritten_digits()
    {
        var (train, outcome) = LearnTheDigits(DigitsLearned.Seed);
        Assert.Contains("10 classes, 799 training and 201 test images", train.Output);
        Assert.Contains("the default preset", train.Output);
        DigitsLearned.Check(outcome);
    }
}
