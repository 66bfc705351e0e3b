using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Serving;

/// <summary>
/// A model trained from IDX files (in-memory images) saved for serving: the zip declares its image input column and
/// scores PNG files as the fitted pipeline scored the same images in memory.
/// </summary>
public sealed class ServingZipTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("googlenet-serving-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
    }

    [Fact]
    public void Zip_trained_from_idx_files_declares_an_image_path_and_scores_png_files_like_the_in_memory_pipeline()
    {
        string idx = Path.Combine(_work, "idx");
        IdxFiles.WriteFashionMnist(idx, trainCount: 48, testCount: 12);
        var train = FashionMnist.Load(idx, FashionMnistSplit.Train);
        var test = FashionMnist.Load(idx, FashionMnistSplit.Test);
        var ml = new MLContext(seed: 1);
        var options = new GoogLeNetTrainerOptions(TrainingPreset.Recipe)
        {
            Epochs = 1, BatchSize = 8, Optimizer = OptimizerKind.Adam, LearningRate = 0.001, WidthDivisor = 8,
            Initialization = WeightInitialization.Kaiming,
        };
        var model = ImagePreprocessing.FromImages(ml, imageSize: 32, channels: 1, FashionMnist.ClassNames)
            .Append(ml.MulticlassClassification.Trainers.GoogLeNet(ml, options))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(train.ToDataView());
        var inMemory = model.Transform(test.ToDataView());
        var expectedLabels = inMemory.GetColumn<string>("PredictedLabel").ToList();
        var expectedScores = inMemory.GetColumn<float[]>("Score").ToList();

        string zip = Path.Combine(_work, "model.zip");
        ModelFile.SaveForServing(ml, model, zip);

        var serving = new MLContext();
        var loaded = ModelFile.Load(serving, zip, out var inputSchema);
        using var loadedChain = (IDisposable)loaded;  // the loaded chain deletes its temporary copy of the network when disposed
        var column = Assert.Single(inputSchema);
        Assert.Equal("ImagePath", column.Name);
        Assert.IsType<TextDataViewType>(column.Type);
        var input = ServingInput.Find(loaded, inputSchema);
        Assert.Equal("ImagePath", input.PathColumn);

        // The same test images written as PNG files.
        var pngs = Enumerable.Range(0, test.Count).Select(i =>
        {
            string path = Path.Combine(_work, $"test-{i}.png");
            PatternImages.WritePng(path, test.Image(i).ToArray(), test.Width);
            return new PathRow { ImagePath = path };
        }).ToList();
        var fromFiles = loaded.Transform(serving.Data.LoadFromEnumerable(pngs));
        AssertSameScores(expectedLabels, expectedScores, fromFiles);
        Assert.Equal(FashionMnist.ClassNames, ClassLabels.NamesFromScoreColumn(fromFiles.Schema));

        // ModelFile.Save keeps the whole pipeline (label mapping included): the image column becomes a file path column too.
        string whole = Path.Combine(_work, "whole.zip");
        ModelFile.Save(ml, model, train.ToDataView().Schema, whole);
        var wholeModel = ModelFile.Load(serving, whole, out var wholeSchema);
        using var wholeModelChain = (IDisposable)wholeModel;  // the loaded chain deletes its temporary copy of the network when disposed
        Assert.Equal(["ImagePath", "Label"], wholeSchema.Select(c => c.Name));
        var files = pngs.Select(p => new ImageFile { ImagePath = p.ImagePath }).ToList();
        AssertSameScores(expectedLabels, expectedScores, wholeModel.Transform(serving.Data.LoadFromEnumerable(files)));
        // Served, it needs the path alone: the label mapping, which has nothing to read, is left out.
        var wholeInput = ServingInput.Find(wholeModel, wholeSchema);
        Assert.Equal("ImagePath", wholeInput.PathColumn);
        Assert.Throws<ArgumentOutOfRangeException>(() => wholeModel.Transform(serving.Data.LoadFromEnumerable(pngs)));
        AssertSameScores(expectedLabels, expectedScores, wholeInput.Model.Transform(serving.Data.LoadFromEnumerable(pngs)));
        AssertSameScores(expectedLabels, expectedScores, wholeInput.FromImages(out string wholeImageColumn).Transform(test.ToDataView(wholeImageColumn)));

        // The in-memory route of the same zip: images already in memory, without LoadImages.
        var fromImages = input.FromImages(out string imageColumn);
        Assert.Equal("Image", imageColumn);
        AssertSameScores(expectedLabels, expectedScores, fromImages.Transform(test.ToDataView(imageColumn)));
    }

    private static IDataView ServingPaths(MLContext ml) => ml.Data.LoadFromEnumerable(Array.Empty<PathRow>());

    private static void AssertSameScores(List<string> labels, List<float[]> scores, IDataView scored)
    {
        Assert.Equal(labels, scored.GetColumn<string>("PredictedLabel").ToList());
        var actual = scored.GetColumn<float[]>("Score").ToList();
        Assert.Equal(scores.Count, actual.Count);
        for (int i = 0; i < scores.Count; i++)
            for (int c = 0; c < scores[i].Length; c++)
                Assert.True(Math.Abs(scores[i][c] - actual[i][c]) <= 1e-4, $"image {i}, class {c}: {scores[i][c]} in memory, {actual[i][c]} from the zip");
    }

    [Fact]
    public void Zips_of_earlier_versions_are_named_with_what_to_do()
    {
        // What an earlier version wrote for IDX data: the image column cannot be saved, so only the label was declared.
        var ml = new MLContext();
        var schema = new DataViewSchema.Builder();
        schema.AddColumn("Label", TextDataViewType.Instance);
        var error = Assert.Throws<InvalidDataException>(() => ServingInput.Find(new TransformerChain<ITransformer>(), schema.ToSchema()));
        Assert.Contains("'Label' (String)", error.Message);
        Assert.Contains("declares a text column, the image file path", error.Message);

        // The path column declared, but a model that does not load images from it.
        var path = new DataViewSchema.Builder();
        path.AddColumn("ImagePath", TextDataViewType.Instance);
        var notLoading = ml.Transforms.CopyColumns("Copy", "ImagePath").Fit(ServingPaths(ml));
        Assert.Throws<InvalidDataException>(() => ServingInput.Find(new TransformerChain<ITransformer>(notLoading, notLoading), path.ToSchema()));
        Assert.Contains("ModelFile.SaveForServing", error.Message);

        var noGoogLeNet = Assert.Throws<ArgumentException>(() =>
            ModelFile.SaveForServing(ml, new TransformerChain<ITransformer>(), Path.Combine(_work, "x.zip")));
        Assert.Contains("no GoogLeNet transformer", noGoogLeNet.Message);
        Assert.False(File.Exists(Path.Combine(_work, "x.zip")));
    }
}
