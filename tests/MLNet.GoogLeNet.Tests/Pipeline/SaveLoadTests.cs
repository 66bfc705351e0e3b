using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Pipeline;

/// <summary>The trained pipeline saved as an ML.NET zip and loaded back: same columns, annotations and numbers.</summary>
[Collection(TrainedPatternModel.Collection)]
public sealed class SaveLoadTests(TrainedPatternModel fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-zip-").FullName;

    private sealed class Prediction
    {
        public float[] Score { get; set; } = [];
        public string PredictedLabel { get; set; } = "";
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string SaveModel(string name = "model.zip")
    {
        string path = Path.Combine(_folder, name);
        ModelFile.Save(fixture.Context, fixture.Model, fixture.TrainData.Schema, path);
        return path;
    }

    /// <summary>The 60 test rows' four scores of <paramref name="after"/> (ONNX Runtime) within 1e-4 of <paramref name="before"/>'s (TorchSharp).</summary>
    private static void AssertSameScores(IDataView before, IDataView after)
    {
        var scoresBefore = before.GetColumn<float[]>("Score").ToList();
        var scoresAfter = after.GetColumn<float[]>("Score").ToList();
        Assert.Equal(60, scoresAfter.Count);
        for (int row = 0; row < scoresBefore.Count; row++)
        for (int c = 0; c < 4; c++)
            Assert.True(Math.Abs(scoresBefore[row][c] - scoresAfter[row][c]) <= 1e-4,
                $"row {row} class {c}: {scoresBefore[row][c]} before, {scoresAfter[row][c]} after");
    }

    [Fact]
    public void Loaded_model_gives_the_same_scores_labels_and_metrics()
    {
        string path = SaveModel();
        var loaded = ModelFile.Load(new MLContext(), path, out var inputSchema);
        using var loadedChain = (IDisposable)loaded;  // the loaded chain deletes its temporary copy of the network when disposed
        Assert.Equal(fixture.TrainData.Schema.Select(c => c.Name), inputSchema.Select(c => c.Name));

        var before = fixture.Model.Transform(fixture.TestData);
        var after = loaded.Transform(fixture.TestData);
        AssertSameScores(before, after);
        Assert.Equal(before.GetColumn<string>("PredictedLabel"), after.GetColumn<string>("PredictedLabel"));

        var metricsBefore = fixture.Context.MulticlassClassification.Evaluate(before);
        var metricsAfter = fixture.Context.MulticlassClassification.Evaluate(after);
        Assert.Equal(metricsBefore.MicroAccuracy, metricsAfter.MicroAccuracy);
        Assert.Equal(metricsBefore.MacroAccuracy, metricsAfter.MacroAccuracy);
        Assert.Equal(metricsBefore.LogLoss, metricsAfter.LogLoss, 3);
    }

    [Fact]
    public void The_onnx_transformer_chain_scores_as_the_transformer_does()
    {
        var googLeNet = ((IEnumerable<ITransformer>)fixture.Model).OfType<GoogLeNetTransformer>().Single();
        var input = PatternImages.Preprocessing(fixture.Context, TrainedPatternModel.ImageSize).Fit(fixture.TrainData).Transform(fixture.TestData);
        var chain = googLeNet.ToOnnxTransformerChain();
        try
        {
            var before = googLeNet.Transform(input);
            var after = chain.Transform(input);
            AssertSameScores(before, after);
            Assert.Equal(before.GetColumn<uint>("PredictedLabel"), after.GetColumn<uint>("PredictedLabel"));
        }
        finally
        {
            Assert.IsAssignableFrom<IDisposable>(chain);
            ((IDisposable)chain).Dispose();
        }
    }

    [Fact]
    public void Loaded_model_has_the_same_columns_types_and_annotations()
    {
        var loaded = ModelFile.Load(new MLContext(), SaveModel(), out _);
        using var loadedChain = (IDisposable)loaded;  // the loaded chain deletes its temporary copy of the network when disposed
        var preprocessing = PatternImages.Preprocessing(fixture.Context, TrainedPatternModel.ImageSize).Fit(fixture.TrainData);
        var input = preprocessing.Transform(fixture.TestData);
        // Compare the GoogLeNet step alone: the fitted transformer against its saved form.
        var loadedGoogLeNet = ((IEnumerable<ITransformer>)loaded).Reverse().Skip(1).First();
        var before = fixture.GoogLeNet.GetOutputSchema(input.Schema);
        var after = loadedGoogLeNet.GetOutputSchema(input.Schema);
        Assert.Equal(Visible(before).Select(c => (c.Name, c.Type)), Visible(after).Select(c => (c.Name, c.Type)));
        foreach (var name in new[] { "Score", "PredictedLabel" })
            Assert.Equal(before[name].Annotations.Schema.Select(a => (a.Name, a.Type)), after[name].Annotations.Schema.Select(a => (a.Name, a.Type)));

        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        after["Score"].GetSlotNames(ref slotNames);
        Assert.Equal(PatternImages.Classes, slotNames.DenseValues().Select(v => v.ToString()));
        var keyValues = default(VBuffer<ReadOnlyMemory<char>>);
        after["PredictedLabel"].GetKeyValues(ref keyValues);
        Assert.Equal(PatternImages.Classes, keyValues.DenseValues().Select(v => v.ToString()));
    }

    [Fact]
    public void Prediction_engine_works_on_the_loaded_model()
    {
        var ml = new MLContext();
        var loaded = ModelFile.Load(ml, SaveModel(), out _);
        using var loadedChain = (IDisposable)loaded;  // the loaded chain deletes its temporary copy of the network when disposed
        var engine = ml.Model.CreatePredictionEngine<ImageRow, Prediction>(loaded);
        var expected = fixture.Model.Transform(fixture.TestData).GetColumn<string>("PredictedLabel").ToList();
        for (int i = 0; i < fixture.Images.Test.Count; i++)
        {
            var prediction = engine.Predict(new ImageRow { ImagePath = fixture.Images.Test[i].ImagePath });
            Assert.Equal(expected[i], prediction.PredictedLabel);
            Assert.InRange(prediction.Score.Sum(), 0.999f, 1.001f);
        }
    }

    [Fact]
    public void Saving_over_an_existing_file_replaces_it_and_leaves_no_temporary_file()
    {
        string path = Path.Combine(_folder, "model.zip");
        File.WriteAllText(path, "old");
        SaveModel();
        Assert.Equal(["model.zip"], Directory.GetFiles(_folder).Select(Path.GetFileName));
        using var loaded = (IDisposable)ModelFile.Load(new MLContext(), path, out _);  // the loaded chain deletes its temporary copy of the network when disposed
    }

    [Fact]
    public void A_failed_save_leaves_the_previous_file_untouched()
    {
        string path = Path.Combine(_folder, "model.zip");
        File.WriteAllText(path, "previous model");
        var failing = new MLContext().Transforms.CustomMapping<ImageRow, ImageRow>((a, b) => { }, contractName: null).Fit(fixture.TrainData);
        Assert.ThrowsAny<Exception>(() => ModelFile.Save(fixture.Context, failing, fixture.TrainData.Schema, path));
        Assert.Equal("previous model", File.ReadAllText(path));
        Assert.Equal(["model.zip"], Directory.GetFiles(_folder).Select(Path.GetFileName));
    }

    [Fact]
    public void Missing_truncated_and_corrupt_zips_are_reported_with_their_path()
    {
        var ml = new MLContext();
        string missing = Path.Combine(_folder, "missing.zip");
        var notFound = Assert.Throws<FileNotFoundException>(() => ModelFile.Load(ml, missing, out _));
        Assert.Contains(missing, notFound.Message);

        string good = SaveModel();
        byte[] bytes = File.ReadAllBytes(good);
        string truncated = Path.Combine(_folder, "truncated.zip");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        var error = Assert.Throws<InvalidDataException>(() => ModelFile.Load(ml, truncated, out _));
        Assert.Contains(truncated, error.Message);

        string garbage = Path.Combine(_folder, "garbage.zip");
        File.WriteAllBytes(garbage, Enumerable.Range(0, 5000).Select(i => (byte)(i * 37)).ToArray());
        error = Assert.Throws<InvalidDataException>(() => ModelFile.Load(ml, garbage, out _));
        Assert.Contains(garbage, error.Message);

        string emptyZip = Path.Combine(_folder, "empty.zip");
        using (var archive = System.IO.Compression.ZipFile.Open(emptyZip, System.IO.Compression.ZipArchiveMode.Create)) { }
        error = Assert.Throws<InvalidDataException>(() => ModelFile.Load(ml, emptyZip, out _));
        Assert.Contains(emptyZip, error.Message);
    }

    [Fact]
    public void Corrupt_onnx_part_of_a_zip_is_reported_as_such_with_the_path()
    {
        string path = SaveModel("broken-network.zip");
        using (var archive = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Update))
        {
            var onnx = archive.Entries.Single(e => e.Name == "OnnxModel");
            string name = onnx.FullName;
            onnx.Delete();
            // ML.NET stores the ONNX bytes after their length; keep a consistent length, garble the protobuf.
            using var writer = new BinaryWriter(archive.CreateEntry(name).Open());
            writer.Write(256);
            writer.Write(Enumerable.Range(0, 256).Select(i => (byte)(255 - i)).ToArray());
        }

        var error = Assert.Throws<InvalidDataException>(() => ModelFile.Load(new MLContext(), path, out _));
        Assert.Contains($"'{path}'", error.Message);
        Assert.Contains("whose ONNX network (the part that scores) is corrupt: ONNX Runtime cannot load it", error.Message);
    }

    private static IEnumerable<DataViewSchema.Column> Visible(DataViewSchema schema) => schema.Where(c => !c.IsHidden);
}
