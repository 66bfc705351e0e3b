using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Tests.Cli;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Serving;

/// <summary><c>googlenet predict</c> on zips in the format earlier versions saved: a path column and the label.</summary>
[Collection(TrainedPatternModel.Collection)]
public sealed class EarlierZipTests(TrainedPatternModel fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-earlier-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Predict_still_scores_a_zip_trained_from_a_folder_by_an_earlier_version()
    {
        // Earlier versions saved the fitted pipeline with the training schema: ImagePath and Label.
        string zip = Path.Combine(_folder, "earlier.zip");
        ModelFile.Save(fixture.Context, fixture.Model, fixture.TrainData.Schema, zip);
        ModelFile.Load(new MLContext(), zip, out var schema);
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
