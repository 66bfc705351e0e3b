using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Tests.Learning;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Pipeline;

/// <summary>
/// Inception-v3 and Inception-ResNet through the trainer's ordinary paths: learning behind Fit, saved as a model zip
/// (the network as ONNX) and scoring the same after loading.
/// </summary>
public sealed class SuccessorArchitectureTests
{
    private sealed class Prediction
    {
        public float[] Score { get; set; } = [];
        public string PredictedLabel { get; set; } = "";
    }

    /// <summary>Each successor learns the four patterns (chance 0.25) with the default preset.</summary>
    internal static readonly LearningCase InceptionV3Learns = Learning(NetworkArchitecture.InceptionV3);

    /// <inheritdoc cref="InceptionV3Learns"/>
    internal static readonly LearningCase InceptionResNetLearns = Learning(NetworkArchitecture.InceptionResNet);

    private static LearningCase Learning(NetworkArchitecture architecture) => new(
        $"{nameof(SuccessorArchitectureTests)}.{nameof(Learns_the_pattern_images_with_the_default_preset)}({architecture})", seed: 1,
        seed => Learn(architecture, seed), LearningBound.AtLeast("held-out accuracy", 0.85));

    private static LearningOutcome Learn(NetworkArchitecture architecture, int seed)
    {
        using var images = PatternImages.Create(trainPerClass: 60, testPerClass: 15);
        var context = new MLContext(seed: seed);
        // The default preset (batch normalisation, AdamW one-cycle, label smoothing, translations) with the
        // architecture under test, channels ÷ 8 to keep the suite short.
        var options = new GoogLeNetTrainerOptions
        {
            Architecture = architecture, Epochs = EpochsToLearn, BatchSize = 16, WidthDivisor = 8,
        };
        var model = PatternImages.Preprocessing(context, TrainedPatternModel.ImageSize)
            .Append(context.MulticlassClassification.Trainers.GoogLeNet(context, options))
            .Fit(context.Data.LoadFromEnumerable(images.Train));
        using var _ = ((IEnumerable<ITransformer>)model).OfType<GoogLeNetTransformer>().Single();
        var metrics = context.MulticlassClassification.Evaluate(model.Transform(context.Data.LoadFromEnumerable(images.Test)));
        return new(new Dictionary<string, double> { ["held-out accuracy"] = metrics.MicroAccuracy }, $"After {EpochsToLearn} epochs.");
    }

    [Theory]
    [InlineData(NetworkArchitecture.InceptionV3)]
    [InlineData(NetworkArchitecture.InceptionResNet)]
    public void Learns_the_pattern_images_with_the_default_preset(NetworkArchitecture architecture)
    {
        var learning = architecture == NetworkArchitecture.InceptionV3 ? InceptionV3Learns : InceptionResNetLearns;
        learning.Check();
    }

    private const int EpochsToLearn = 10;

    [Theory]
    [InlineData(NetworkArchitecture.InceptionV3)]
    [InlineData(NetworkArchitecture.InceptionResNet)]
    public void Trains_and_scores_the_same_after_a_zip_round_trip(NetworkArchitecture architecture)
    {
        using var images = PatternImages.Create(trainPerClass: 12, testPerClass: 6);
        string folder = Directory.CreateTempSubdirectory("googlenet-family-").FullName;
        try
        {
            var context = new MLContext(seed: 1);
            var train = context.Data.LoadFromEnumerable(images.Train);
            var test = context.Data.LoadFromEnumerable(images.Test);
            // The shared pattern model's settings (TrainedPatternModel: the recipe preset with Adam and Kaiming
            // initialisation, channels ÷ 8) with the architecture under test.
            var options = new GoogLeNetTrainerOptions(TrainingPreset.Recipe)
            {
                Architecture = architecture, Epochs = 2, BatchSize = 8, Optimizer = OptimizerKind.Adam, LearningRate = 0.001,
                WidthDivisor = 8, Initialization = WeightInitialization.Kaiming,
            };
            var model = PatternImages.Preprocessing(context, TrainedPatternModel.ImageSize)
                .Append(context.MulticlassClassification.Trainers.GoogLeNet(context, options))
                .Append(context.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
                .Fit(train);

            var before = model.Transform(test);
            string path = Path.Combine(folder, "model.zip");
            ModelFile.Save(context, model, train.Schema, path);
            var loaded = ModelFile.Load(new MLContext(), path, out _);
            using var loadedChain = (IDisposable)loaded;  // the loaded chain deletes its temporary copy of the network when disposed
            var after = loaded.Transform(test);
            var scoresBefore = before.GetColumn<float[]>("Score").ToList();
            var scoresAfter = after.GetColumn<float[]>("Score").ToList();
            Assert.Equal(24, scoresAfter.Count);
            // The trained network tells the images apart (its scores are not uniform), so the comparison is not vacuous.
            Assert.Contains(scoresBefore, row => row.Max() - row.Min() > 0.01f);
            for (int row = 0; row < scoresBefore.Count; row++)
            for (int c = 0; c < 4; c++)
                Assert.True(Math.Abs(scoresBefore[row][c] - scoresAfter[row][c]) <= 1e-4,
                    $"{architecture} row {row} class {c}: {scoresBefore[row][c]} before, {scoresAfter[row][c]} after");
            Assert.Equal(before.GetColumn<string>("PredictedLabel"), after.GetColumn<string>("PredictedLabel"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
