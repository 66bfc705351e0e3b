using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.GoogLeNet.Tests.TestData;

/// <summary>
/// Model zips saved by an earlier build of the library, kept in the repository
/// (tests/MLNet.GoogLeNet.Tests/TestData/Fixtures, whose README says how and with which versions they were made), with
/// the images they were scored on then and the scores they gave (expected.json).
/// </summary>
public static class SavedZipFixture
{
    /// <summary>The folder holding the fixture's files.</summary>
    public static string Folder { get; } = Path.Combine(RepositoryPaths.Root, "tests", "MLNet.GoogLeNet.Tests", "TestData", "Fixtures");

    /// <summary>The zip <see cref="ModelFile.Save"/> wrote from the fitted pipeline and its training schema (ImagePath, Label).</summary>
    public const string PipelineZip = "pipeline-mlnet5.zip";

    /// <summary>The zip <see cref="ModelFile.SaveForServing"/> wrote from the same pipeline (ImagePath alone).</summary>
    public const string ServingZip = "serving-mlnet5.zip";

    public const string ExpectedFile = "expected.json";

    /// <summary>The classes of the fixture's model, in the order of its scores.</summary>
    public static readonly string[] Classes = ["horizontal", "vertical", "checker"];

    public const int ImageSize = 32;

    /// <summary>A row of either zip: the serving zip reads ImagePath alone; the pipeline zip maps Label to a key too.</summary>
    public sealed class Row
    {
        public string ImagePath { get; set; } = "";
        public string Label { get; set; } = "";
    }

    public sealed class Prediction
    {
        public float[] Score { get; set; } = [];
        public string PredictedLabel { get; set; } = "";
    }

    /// <summary>What expected.json holds.</summary>
    public sealed record Expected(
        [property: JsonPropertyName("madeWith")] Dictionary<string, string> MadeWith,
        [property: JsonPropertyName("classes")] string[] Classes,
        [property: JsonPropertyName("zips")] Dictionary<string, ExpectedZip> Zips);

    public sealed record ExpectedZip(
        [property: JsonPropertyName("inputColumns")] string[] InputColumns,
        [property: JsonPropertyName("images")] Dictionary<string, ExpectedScore> Images);

    public sealed record ExpectedScore(
        [property: JsonPropertyName("score")] float[] Score,
        [property: JsonPropertyName("predictedLabel")] string PredictedLabel);

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static Expected ReadExpected() =>
        JsonSerializer.Deserialize<Expected>(File.ReadAllText(Path.Combine(Folder, ExpectedFile)), Json)
        ?? throw new InvalidDataException(ExpectedFile + " is empty.");

    internal static void WriteExpected(string path, Expected expected) =>
        File.WriteAllText(path, JsonSerializer.Serialize(expected, Json) + "\n");

    /// <summary>Each image's path (in <paramref name="folder"/>) and its name in expected.json: one image of each class.</summary>
    public static IEnumerable<(string Name, string Path)> Images(string folder) =>
        Classes.Select(label => (label + ".png", System.IO.Path.Combine(folder, label + ".png")));

    /// <summary>The scores a zip gives, loaded by ML.NET alone, for each image in <paramref name="folder"/>.</summary>
    public static ExpectedZip Score(string zip, string folder)
    {
        var ml = new MLContext(seed: 1);
        ITransformer model;
        DataViewSchema inputSchema;
        using (var stream = File.OpenRead(zip))
            model = ml.Model.Load(stream, out inputSchema);
        using var engine = ml.Model.CreatePredictionEngine<Row, Prediction>(model);
        var images = new Dictionary<string, ExpectedScore>();
        foreach (var (name, path) in Images(folder))
        {
            var prediction = engine.Predict(new Row { ImagePath = path, Label = Path.GetFileNameWithoutExtension(name) });
            images[name] = new ExpectedScore(prediction.Score.ToArray(), prediction.PredictedLabel);
        }
        return new ExpectedZip(inputSchema.Where(c => !c.IsHidden).Select(c => c.Name).ToArray(), images);
    }

    /// <summary>Assembly versions of what made (or reads) the zips.</summary>
    public static Dictionary<string, string> Versions() => new()
    {
        ["Microsoft.ML"] = Informational(typeof(MLContext)),
        ["Microsoft.ML.ImageAnalytics"] = Informational(typeof(MLImage)),
        ["Microsoft.ML.OnnxTransformer"] = Informational(typeof(Microsoft.ML.Transforms.Onnx.OnnxTransformer)),
        ["Microsoft.ML.OnnxRuntime"] = Informational(typeof(Microsoft.ML.OnnxRuntime.InferenceSession)),
        ["SkiaSharp"] = Informational(typeof(SkiaSharp.SKBitmap)),
        ["TorchSharp"] = Informational(typeof(TorchSharp.torch)),
    };

    private static string Informational(Type type) =>
        type.Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0]
        ?? type.Assembly.GetName().Version?.ToString(4) ?? "?";

    internal static string Format(float value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>
/// A one-off, not a test: writes the fixture's zips, images and expected.json into the folder named by the environment
/// variable GOOGLENET_WRITE_FIXTURE, and is skipped when it is not set. It was run once, before the move to ML.NET 6
/// (Fixtures/README.md); running it again makes zips of the build it runs in, which would not test what the fixture
/// tests, so it writes to a folder of its caller's choice and never to the committed fixture by itself.
/// </summary>
public sealed class SavedZipFixtureWriter
{
    public const string Variable = "GOOGLENET_WRITE_FIXTURE";

    /// <summary>Runs only where <see cref="Variable"/> names a folder.</summary>
    public sealed class WriterFactAttribute : FactAttribute
    {
        public WriterFactAttribute()
        {
            if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
                Skip = $"One-off that writes the saved-zip fixture; set {Variable} to a folder to run it (TestData/Fixtures/README.md).";
        }
    }

    [WriterFact]
    public void Write_the_saved_zip_fixture()
    {
        string folder = Environment.GetEnvironmentVariable(Variable)!;
        Directory.CreateDirectory(folder);

        // The images scored: one of each class, 32×32, drawn from a seed of their own.
        var random = new Random(2024);
        foreach (var (name, path) in SavedZipFixture.Images(folder))
            PatternImages.WritePng(path, PatternImages.Draw(Path.GetFileNameWithoutExtension(name), SavedZipFixture.ImageSize, random), SavedZipFixture.ImageSize);

        // A small network (widths ÷ 32) trained a few epochs on three pattern classes, as a user's pipeline:
        // LoadImages → grayscale → resize 32 → pixels → MapValueToKey → GoogLeNet → MapKeyToValue.
        using var images = PatternImages.Create(trainPerClass: 16, testPerClass: 0, size: SavedZipFixture.ImageSize, seed: 7,
            classCount: SavedZipFixture.Classes.Length);
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(images.Train);
        var options = new GoogLeNetTrainerOptions(TrainingPreset.Recipe)
        {
            Epochs = 4,
            BatchSize = 8,
            Optimizer = OptimizerKind.Adam,
            LearningRate = 0.002,
            WidthDivisor = 32,
            Initialization = WeightInitialization.Kaiming,
        };
        var model = PatternImages.Preprocessing(ml, SavedZipFixture.ImageSize)
            .Append(ml.MulticlassClassification.Trainers.GoogLeNet(ml, options))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(train);

        string pipelineZip = Path.Combine(folder, SavedZipFixture.PipelineZip);
        string servingZip = Path.Combine(folder, SavedZipFixture.ServingZip);
        ModelFile.Save(ml, model, train.Schema, pipelineZip);
        ModelFile.SaveForServing(ml, model, servingZip);

        // What the saved zips give, loaded back by ML.NET alone.
        var expected = new SavedZipFixture.Expected(
            SavedZipFixture.Versions(),
            SavedZipFixture.Classes,
            new Dictionary<string, SavedZipFixture.ExpectedZip>
            {
                [SavedZipFixture.PipelineZip] = SavedZipFixture.Score(pipelineZip, folder),
                [SavedZipFixture.ServingZip] = SavedZipFixture.Score(servingZip, folder),
            });
        SavedZipFixture.WriteExpected(Path.Combine(folder, SavedZipFixture.ExpectedFile), expected);
    }
}
