using System.Globalization;
using Microsoft.ML;
using MLNet.GoogLeNet.Tests.Learning;
using MLNet.GoogLeNet.Tests.TestData;
using Xunit.Abstractions;

namespace MLNet.GoogLeNet.Tests.Featurization;

/// <summary>
/// The featurizer's vectors for an ML.NET trainer, on a folder of real images: the UCI handwritten digits (Debian's
/// python3-sklearn, written as a folder by bench/ImageFolders). A network learns the digits 0–4 (<c>googlenet train</c>);
/// its featurizer then turns the digits 5–9, which it never saw, into vectors, and ML.NET's LbfgsMaximumEntropy learns
/// those classes from four fifths of their images and is scored on the other fifth.
/// </summary>
public sealed class FeaturizerLearningTests(ITestOutputHelper? output) : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("googlenet-featurizer-digits-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    /// <summary>
    /// Held-out accuracy on the five digits the network never saw (chance 0.2); the seed trains the network and splits
    /// the new digits. The network learns its own five to 1.0, and its features, made for them, carry to the new ones
    /// less evenly: across seeds 1–8 and three numerical paths the new digits held out 0.656 to 0.816 (AMD Zen 4), so the
    /// bound is 0.55, still nearly three times chance.
    /// </summary>
    internal static readonly LearningCase NewDigitsLearnedOnFeatures = new(
        $"{nameof(FeaturizerLearningTests)}.{nameof(A_linear_trainer_learns_digits_the_network_never_saw_from_its_features)}", seed: 1,
        seed =>
        {
            using var tests = new FeaturizerLearningTests(null);
            return tests.Learn(seed);
        },
        LearningBound.AtLeast("held-out accuracy", 0.55));

    private LearningOutcome Learn(int seed)
    {
        // 1,000 digits in folders 0 … 9; the network's folder holds 0–4, the new classes' 5–9.
        string all = Path.Combine(_work, "digits");
        DigitsFolder.Write(all, images: 1000);
        var classes = Directory.GetDirectories(all).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        string known = Directory.CreateDirectory(Path.Combine(_work, "known")).FullName;
        foreach (var name in classes.Take(5))
            Directory.Move(Path.Combine(all, name!), Path.Combine(known, name!));

        string model = Path.Combine(_work, "out", "model.zip");
        var train = CliRunner.Run("train", "--data", known, "--image-size", "32", "--epochs", "8", "--model", model,
            "--seed", seed.ToString(CultureInfo.InvariantCulture));
        Assert.True(train.ExitCode == 0, train.Output);

        var ml = new MLContext(seed: seed);
        var rows = Directory.GetDirectories(all).SelectMany(folder => Directory.GetFiles(folder, "*.png")
            .Select(path => new ImageRow { ImagePath = path, Label = Path.GetFileName(folder) })).OrderBy(r => r.ImagePath, StringComparer.Ordinal).ToList();
        var split = ml.Data.TrainTestSplit(ml.Data.LoadFromEnumerable(rows), testFraction: 0.2, seed: seed);
        var featurizer = ml.Transforms.GoogLeNetFeaturizer(ml, model);
        var pipeline = ImagePreprocessing.ForServing(ml, featurizer.ImageSize, featurizer.ImageChannels)
            .Append(featurizer)
            .Append(ml.Transforms.Conversion.MapValueToKey(GoogLeNetColumns.Label))
            .AppendCacheCheckpoint(ml)
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(GoogLeNetColumns.Label, GoogLeNetColumns.ImageFeatures));
        var fitted = pipeline.Fit(split.TrainSet);
        try
        {
            var metrics = ml.MulticlassClassification.Evaluate(fitted.Transform(split.TestSet));
            using var history = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(_work, "out", "training-metrics.json")));
            double knownAccuracy = history.RootElement.GetProperty("epochs").EnumerateArray().Last().GetProperty("testAccuracy").GetDouble();
            return new(new Dictionary<string, double> { ["held-out accuracy"] = metrics.MicroAccuracy },
                string.Create(CultureInfo.InvariantCulture, $"{rows.Count} images of the new digits; the network held out {knownAccuracy:F3} on the digits it learned."));
        }
        finally
        {
            (fitted as IDisposable)?.Dispose();
        }
    }

    [DebianFileFact(DigitsFolder.Source, DigitsFolder.Package)]
    public void A_linear_trainer_learns_digits_the_network_never_saw_from_its_features()
    {
        var outcome = Learn(NewDigitsLearnedOnFeatures.Seed);
        output?.WriteLine($"{outcome}. {outcome.Detail}");
        NewDigitsLearnedOnFeatures.Check(outcome);
    }
}
