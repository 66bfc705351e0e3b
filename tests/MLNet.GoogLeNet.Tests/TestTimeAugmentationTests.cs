using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Tests.Learning;
using MLNet.GoogLeNet.Tests.TestData;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests;

/// <summary>
/// Two small networks trained alike on 32×32 images whose classes a mirror changes (a bar at the left, right, top or
/// bottom edge), so that scoring an image's mirror gives other numbers: one scores with
/// <see cref="TestTimeAugmentation.HorizontalFlip"/>, the other without.
/// </summary>
public sealed class TestTimeAugmentationModels : IDisposable
{
    public const int Size = 32;
    public static readonly string[] Classes = ["left", "right", "top", "bottom"];

    public sealed class Row
    {
        public string Label { get; set; } = "";
        public float[] Features { get; set; } = [];
    }

    public TestTimeAugmentationModels() : this(seed: 3)
    {
    }

    /// <summary>Both networks trained with <paramref name="seed"/>.</summary>
    internal TestTimeAugmentationModels(int seed)
    {
        _seed = seed;
        Context = new MLContext(seed: 1);
        Train = Load(Rows(240, seed: 1));
        Test = Load(Rows(60, seed: 2));
        Flipped = Fit(TestTimeAugmentation.HorizontalFlip);
        Plain = Fit(TestTimeAugmentation.None);
    }

    private readonly int _seed;

    public MLContext Context { get; }
    public IDataView Train { get; }
    public IDataView Test { get; }
    public (ITransformer Model, List<EpochReport> Epochs) Flipped { get; }
    public (ITransformer Model, List<EpochReport> Epochs) Plain { get; }

    public static GoogLeNetTransformer GoogLeNet(ITransformer model) =>
        ((IEnumerable<ITransformer>)model).OfType<GoogLeNetTransformer>().Single();

    /// <summary>The rows' images as one (N, 1, H, W) tensor, in the data view's order.</summary>
    public Tensor Images(IDataView data)
    {
        var features = data.GetColumn<float[]>("Features").SelectMany(f => f).ToArray();
        return tensor(features).view(-1, 1, Size, Size);
    }

    private (ITransformer, List<EpochReport>) Fit(TestTimeAugmentation augmentation)
    {
        var epochs = new List<EpochReport>();
        var options = new GoogLeNetTrainerOptions(TrainingPreset.Recipe)
        {
            Epochs = 2,
            BatchSize = 16,
            Optimizer = OptimizerKind.Adam,
            LearningRate = 0.002,
            WidthDivisor = 16,
            Seed = _seed,
            Initialization = WeightInitialization.Kaiming,
            ValidationSet = Context.Transforms.Conversion.MapValueToKey("Label").Fit(Train).Transform(Test),
            TestTimeAugmentation = augmentation,
            EpochProgress = new ProgressHandler<EpochReport>(epochs.Add),
        };
        var pipeline = Context.Transforms.Conversion.MapValueToKey("Label")
            .Append(Context.MulticlassClassification.Trainers.GoogLeNet(Context, options));
        return (pipeline.Fit(Train), epochs);
    }

    private IDataView Load(List<Row> rows)
    {
        var definition = SchemaDefinition.Create(typeof(Row));
        definition[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 1, Size, Size);
        return Context.Data.LoadFromEnumerable(rows, definition);
    }

    /// <summary>A bar four pixels thick along one edge, on noise, with a random brightness.</summary>
    private static List<Row> Rows(int count, int seed)
    {
        var random = new Random(seed);
        var rows = new List<Row>();
        for (int i = 0; i < count; i++)
        {
            string label = Classes[i % Classes.Length];
            var pixels = new float[Size * Size];
            float bar = 0.6f + 0.4f * random.NextSingle();
            for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++)
            {
                bool on = label switch
                {
                    "left" => x < 4,
                    "right" => x >= Size - 4,
                    "top" => y < 4,
                    _ => y >= Size - 4,
                };
                pixels[y * Size + x] = on ? bar : 0.2f * random.NextSingle();
            }
            rows.Add(new Row { Label = label, Features = pixels });
        }
        return rows;
    }

    public void Dispose()
    {
        GoogLeNet(Flipped.Model).Dispose();
        GoogLeNet(Plain.Model).Dispose();
    }
}

/// <summary>
/// <see cref="TestTimeAugmentation"/>'s definition held to every place that scores: <c>Transform</c>, the per-epoch test
/// accuracy, the saved zip served by ML.NET and ONNX Runtime alone, the zip's metadata, and the command line.
/// </summary>
public sealed class TestTimeAugmentationTests(TestTimeAugmentationModels models) : IClassFixture<TestTimeAugmentationModels>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-tta-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>
    /// The trained network tells the classes apart by their bars, so mirroring a test image (which swaps left and right)
    /// changes its probabilities: the tests of both scoring modes need that for their comparisons to mean anything.
    /// </summary>
    internal static readonly LearningCase MirrorChangesTheScores = new(
        $"{nameof(TestTimeAugmentationTests)}.{nameof(With_horizontal_flip_the_score_is_the_mean_of_the_image_and_its_mirror)}", seed: 3,
        seed =>
        {
            using var trained = new TestTimeAugmentationModels(seed);
            var (plain, mirrored) = Reference(trained, TestTimeAugmentationModels.GoogLeNet(trained.Flipped.Model));
            return new(new Dictionary<string, double> { ["largest mirror difference"] = LargestDifference(plain, mirrored) });
        },
        LearningBound.AtLeast("largest mirror difference", 0.05));

    /// <summary>softmax(f(x)) and softmax(f(mirror(x))) per test row, computed here from the transformer's network.</summary>
    private (float[][] Plain, float[][] Mirrored) Reference(GoogLeNetTransformer model) => Reference(models, model);

    private static (float[][] Plain, float[][] Mirrored) Reference(TestTimeAugmentationModels models, GoogLeNetTransformer model)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var images = models.Images(models.Test);
        var plain = nn.functional.softmax(model.Network.call(images), dim: 1);
        var mirrored = nn.functional.softmax(model.Network.call(images.flip(3).contiguous()), dim: 1);
        return (Rows(plain), Rows(mirrored));
    }

    private static float[][] Rows(Tensor probabilities)
    {
        var values = probabilities.contiguous().data<float>().ToArray();
        int classes = (int)probabilities.shape[1];
        return values.Chunk(classes).ToArray();
    }

    private static float[][] Scores(ITransformer model, IDataView data) => model.Transform(data).GetColumn<float[]>("Score").ToArray();

    private static void AssertClose(float[][] expected, float[][] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int row = 0; row < expected.Length; row++)
        for (int c = 0; c < expected[row].Length; c++)
            Assert.True(Math.Abs(expected[row][c] - actual[row][c]) <= tolerance,
                $"{what}: row {row} class {c}: expected {expected[row][c]}, got {actual[row][c]}");
    }

    private static float[][] Mean(float[][] a, float[][] b) =>
        a.Zip(b, (x, y) => x.Zip(y, (p, q) => (p + q) / 2).ToArray()).ToArray();

    private static double LargestDifference(float[][] a, float[][] b) =>
        a.Zip(b, (x, y) => x.Zip(y, (p, q) => Math.Abs(p - q)).Max()).Max();

    [Fact]
    public void With_horizontal_flip_the_score_is_the_mean_of_the_image_and_its_mirror()
    {
        var model = TestTimeAugmentationModels.GoogLeNet(models.Flipped.Model);
        Assert.Equal(TestTimeAugmentation.HorizontalFlip, model.TestTimeAugmentation);
        var (plain, mirrored) = Reference(model);
        // The classes change under a mirror, so the two views disagree and the mean is not either alone.
        MirrorChangesTheScores.Check("largest mirror difference", LargestDifference(plain, mirrored));

        var scores = Scores(models.Flipped.Model, models.Test);
        AssertClose(Mean(plain, mirrored), scores, 1e-5, "Transform");
        var labels = models.Flipped.Model.Transform(models.Test).GetColumn<uint>("PredictedLabel").ToArray();
        Assert.Equal(scores.Select(s => (uint)Array.IndexOf(s, s.Max()) + 1), labels);
    }

    [Fact]
    public void Without_it_the_score_is_the_image_alone()
    {
        var model = TestTimeAugmentationModels.GoogLeNet(models.Plain.Model);
        Assert.Equal(TestTimeAugmentation.None, model.TestTimeAugmentation);
        var (plain, mirrored) = Reference(model);
        var scores = Scores(models.Plain.Model, models.Test);
        AssertClose(plain, scores, 1e-5, "Transform");
        // Half the largest mirror difference, which MirrorChangesTheScores bounds (the weights do not depend on the mode).
        MirrorChangesTheScores.Check("largest mirror difference", 2 * LargestDifference(Mean(plain, mirrored), scores));
    }

    [Fact]
    public void The_per_epoch_test_accuracy_is_the_accuracy_of_the_scores()
    {
        foreach (var (model, epochs) in new[] { models.Flipped, models.Plain })
        {
            var scored = model.Transform(models.Test);
            var labels = scored.GetColumn<uint>("Label").ToArray();
            var predicted = scored.GetColumn<uint>("PredictedLabel").ToArray();
            double accuracy = labels.Zip(predicted).Count(p => p.First == p.Second) / (double)labels.Length;
            Assert.Equal(accuracy, epochs[^1].ValidationAccuracy!.Value, 9);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_saved_zip_scores_the_same_under_onnx_runtime_and_records_the_setting(bool flipped)
    {
        var (model, _) = flipped ? models.Flipped : models.Plain;
        string path = Path.Combine(_folder, "model.zip");
        ModelFile.Save(models.Context, model, models.Train.Schema, path);

        var loaded = ModelFile.Load(new MLContext(), path, out _);
        using var loadedChain = (IDisposable)loaded;  // the loaded chain deletes its temporary copy of the network when disposed
        AssertClose(Scores(model, models.Test), Scores(loaded, models.Test), 1e-5, "zip");
        Assert.Equal(model.Transform(models.Test).GetColumn<uint>("PredictedLabel"), loaded.Transform(models.Test).GetColumn<uint>("PredictedLabel"));

        var imported = ModelFile.ImportNetwork(path);
        imported.Network.Dispose();
        Assert.Equal(flipped ? TestTimeAugmentation.HorizontalFlip : TestTimeAugmentation.None, imported.TestTimeAugmentation);
    }

    [Fact]
    public void It_is_refused_with_a_frozen_backbone_by_name()
    {
        var options = new GoogLeNetTrainerOptions
        {
            FineTuneFrom = "model.zip",
            FreezeBackbone = true,
            TestTimeAugmentation = TestTimeAugmentation.HorizontalFlip,
        };
        var problem = options.FindProblem();
        Assert.NotNull(problem);
        Assert.Equal(nameof(GoogLeNetTrainerOptions.TestTimeAugmentation), problem.Option);
        Assert.Contains("FreezeBackbone", problem.Rule);
    }

    [Fact]
    public void Train_with_tta_hflip_writes_a_zip_that_scores_with_the_mirror()
    {
        string googlenet = RepositoryPaths.Googlenet;
        Assert.True(File.Exists(googlenet), $"{googlenet} was not built");
        string data = Path.Combine(_folder, "idx"), zip = Path.Combine(_folder, "cli.zip");
        IdxFiles.WriteFashionMnist(data, trainCount: 48, testCount: 16);
        var train = ProcessRunner.RunDotnet(googlenet,
            ["train", "--data", data, "--image-size", "32", "--width-divisor", "16", "--batch-size", "8", "--epochs", "1",
             "--seed", "3", "--tta", "hflip", "--model", zip], TimeSpan.FromMinutes(5));
        Assert.True(train.ExitCode == 0, train.Output + train.Error);
        Assert.Contains("scored with test-time augmentation HorizontalFlip", train.Output);
        var evaluate = ProcessRunner.RunDotnet(googlenet, ["evaluate", "--model", zip, "--data", data], TimeSpan.FromMinutes(5));
        Assert.True(evaluate.ExitCode == 0, evaluate.Output + evaluate.Error);

        // The test accuracy training printed (TorchSharp) is the one the zip gives under ONNX Runtime on the same images.
        string printed = System.Text.RegularExpressions.Regex.Match(train.Output, @"test acc (\d\.\d{3})").Groups[1].Value;
        string zipAccuracy = System.Text.RegularExpressions.Regex.Match(evaluate.Output, @"accuracy \(micro\) (\d\.\d{4})").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(printed) || string.IsNullOrEmpty(zipAccuracy), train.Output + evaluate.Output);
        Assert.Equal(double.Parse(printed, System.Globalization.CultureInfo.InvariantCulture),
            Math.Round(double.Parse(zipAccuracy, System.Globalization.CultureInfo.InvariantCulture), 3, MidpointRounding.AwayFromZero));

        var imported = ModelFile.ImportNetwork(zip);
        imported.Network.Dispose();
        Assert.Equal(TestTimeAugmentation.HorizontalFlip, imported.TestTimeAugmentation);
    }

    [Fact]
    public void The_command_line_refuses_an_unknown_kind_naming_tta()
    {
        var (exit, output) = CliRunner.Run("train", "--data", "/nonexistent", "--tta", "sideways");
        Assert.Equal(2, exit);
        Assert.Contains("--tta 'sideways' is not none or hflip", output);
    }
}
