using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Tests.Cli;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Serving;

/// <summary><c>googlenet predict</c> on a zip saved with its training schema: a path column and the label.</summary>
[Collection(TrainedPatternModel.Collection)]
public sealed class TrainingSchemaZipTests(TrainedPatternModel fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-training-schema-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Predict_scores_a_zip_saved_with_the_training_schema_of_a_folder()
    {
        // The fitted pipeline saved with the training schema declares ImagePath and Label.
        string zip = Path.Combine(_folder, "training-schema.zip");
        ModelFile.Save(fixture.Context, fixture.Model, fixture.TrainData.Schema, zip);
        using var loaded = (IDisposable)ModelFile.Load(new MLContext(), zip, out var schema);  // the loaded chain deletes its temporary copy of the network when disposed
        Assert.Equal(["ImagePath", "Label"], schema.Select(c => c.Name));

        var images = fixture.Images.Test.Take(8).Select(r => r.ImagePath).ToList();
        var (exit, output) = CliEndToEndTests.Run(["predict", zip, .. images]);
        Assert.True(exit == 0, output);
        var expected = fixture.Model.Transform(fixture.TestData).GetColumn<string>("PredictedLabel").Take(8).ToList();
        for (int i = 0; i < images.Count; i++)
        {
            var row = output.Split('\n').Single(l => l.Contains(images[i], StringComparison.Ordinal));
            var cells = row.Split('│', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal(expected[i], cells[1]);
        }
    }
}
