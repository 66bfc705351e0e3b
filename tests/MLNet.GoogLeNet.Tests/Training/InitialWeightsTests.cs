using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Export;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Training;

/// <summary>Training that starts from a state_dict file (<see cref="GoogLeNetTrainerOptions.FineTuneFrom"/>, <c>train --from weights.safetensors</c>) starts from exactly those weights.</summary>
[Collection(TrainedPatternModel.Collection)]
public sealed class InitialWeightsTests(TrainedPatternModel fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-init-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Fit_from_the_trained_weights_scores_as_the_trained_model()
    {
        string weights = Path.Combine(_folder, "trained.safetensors");
        StateDictFile.Save(fixture.GoogLeNet.Network, weights);

        // One epoch at a rate too small to move the weights: the result scores as the network the weights came from
        // (a network from Xavier initialisation would score near chance, 0.25).
        var options = new GoogLeNetTrainerOptions(TrainingPreset.Recipe)
        {
            Epochs = 1,
            BatchSize = 32,
            LearningRate = 1e-9,
            WidthDivisor = fixture.Options.WidthDivisor,
            Seed = 4,
            FineTuneFrom = weights,
        };
        var model = PatternImages.Preprocessing(fixture.Context, TrainedPatternModel.ImageSize)
            .Append(fixture.Context.MulticlassClassification.Trainers.GoogLeNet(fixture.Context, options))
            .Fit(fixture.TrainData);
        var expected = fixture.Model.Transform(fixture.TestData).GetColumn<float[]>("Score").ToList();
        var actual = model.Transform(fixture.TestData).GetColumn<float[]>("Score").ToList();
        Assert.Equal(expected.Count, actual.Count);
        for (int row = 0; row < expected.Count; row++)
            Export.OnnxExporterTests.AssertClose(expected[row], actual[row], 1e-4f, $"test row {row}");
    }

    [Fact]
    public void A_missing_weights_file_is_a_usage_error()
    {
        string missing = Path.Combine(_folder, "none.pt");
        var (exit, output) = CliRunner.Run("train", "--from", missing);
        Assert.Equal(2, exit);
        Assert.Contains($"--from: '{missing}' not found", output);
    }
}
