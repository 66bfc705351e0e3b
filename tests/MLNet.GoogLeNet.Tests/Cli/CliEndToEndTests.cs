using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Cli;
using MLNet.GoogLeNet.Tests.Learning;
using MLNet.GoogLeNet.Tests.TestData;
using Spectre.Console;

namespace MLNet.GoogLeNet.Tests.Cli;

/// <summary>The googlenet command line on tiny data sets: train → zip → evaluate → predict, and its errors.</summary>
public sealed class CliEndToEndTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("googlenet-cli-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    /// <summary>Runs the command line in this process and returns its exit code and what it printed.</summary>
    internal static (int ExitCode, string Output) Run(params string[] args) => CliRunner.Run(args);

    private static string[] SmallNetwork => SmallNetworkSeeded(3);

    private static string[] SmallNetworkSeeded(int seed) => ["--preset", "recipe", "--image-size", "32", "--width-divisor", "8", "--init", "kaiming",
        "--batch-size", "8", "--optimizer", "adam", "--learning-rate", "0.001", "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    private static void AssertNonEmpty(string path) =>
        Assert.True(File.Exists(path) && new FileInfo(path).Length > 0, $"{path} is missing or empty");

    [Theory]
    [InlineData("train")]
    [InlineData("evaluate")]
    [InlineData("predict")]
    [InlineData("export")]
    [InlineData("info")]
    [InlineData("presets")]
    [InlineData("fashion-mnist")]
    public void Every_command_prints_its_help(string command)
    {
        var (exit, output) = Run(command, "--help");
        Assert.True(exit == 0, $"exit code {exit}: {output}");
        Assert.Contains("OPTIONS:", output);
        Assert.DoesNotContain("error", output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void With_limits_the_survey_of_sizes_counts_the_images_the_run_reads()
    {
        using var images = PatternImages.Create(trainPerClass: 10, testPerClass: 0, size: 36);
        var train = Run(["train", "--data", images.Root, "--limit", "8", "--test-limit", "4", "--epochs", "1", "--no-validation",
            "--model", Path.Combine(_work, "limited.zip"), .. SmallNetwork]);
        Assert.True(train.ExitCode == 0, train.Output);
        Assert.Contains("4 classes, 8 training and 4 test images", train.Output);
        Assert.Contains("12 of 12 image(s) are not 32×32 (36×36: 12) and are resized to 32×32.", train.Output);
    }

    /// <summary>
    /// <c>googlenet train</c> on a folder of the four patterns, then <c>evaluate --holdout-split</c> on the quarter it
    /// held out and <c>predict</c> on eight images it never saw (chance: 0.25 and 2 of 8).
    /// </summary>
    internal static readonly LearningCase PatternFolderLearned = new(
        $"{nameof(CliEndToEndTests)}.{nameof(Image_folder_train_evaluate_predict)}", seed: 3,
        seed =>
        {
            using var tests = new CliEndToEndTests();
            using var run = tests.LearnThePatternFolder(seed);
            return run.Outcome;
        },
        LearningBound.AtLeast("held-out accuracy", 0.7), LearningBound.AtLeast("unseen images right", 6));

    private sealed record PatternFolderRun(PatternImages Images, string Model, (int ExitCode, string Output) Train, (int ExitCode, string Output) Evaluate,
        List<(string Path, string Label)> Unseen, (int ExitCode, string Output) Predict, Random Random, LearningOutcome Outcome) : IDisposable
    {
        public void Dispose() => Images.Dispose();
    }

    private PatternFolderRun LearnThePatternFolder(int seed)
    {
        var images = PatternImages.Create(trainPerClass: 60, testPerClass: 0, size: 36);
        string model = Path.Combine(_work, "out", "model.zip");
        string seedText = seed.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var train = Run(["train", "--data", images.Root, "--epochs", "6", "--test-fraction", "0.25", "--model", model, .. SmallNetworkSeeded(seed)]);
        Assert.True(train.ExitCode == 0, train.Output);
        var evaluate = Run("evaluate", "--model", model, "--data", images.Root, "--holdout-split", "--test-fraction", "0.25", "--seed", seedText);
        Assert.True(evaluate.ExitCode == 0, evaluate.Output);
        double accuracy;
        using (var evaluation = JsonDocument.Parse(File.ReadAllText(Path.Combine(_work, "out", "evaluation.json"))))
            accuracy = evaluation.RootElement.GetProperty("microAccuracy").GetDouble();

        // Images the model has never seen, two of each class.
        var random = new Random(100);
        string fresh = Directory.CreateDirectory(Path.Combine(_work, "fresh")).FullName;
        var files = PatternImages.Classes.SelectMany(label => Enumerable.Range(0, 2).Select(i =>
        {
            string path = Path.Combine(fresh, $"{label}-{i}.png");
            PatternImages.WritePng(path, PatternImages.Draw(label, 36, random), 36);
            return (Path: path, Label: label);
        })).ToList();
        var predict = Run(["predict", model, .. files.Select(f => f.Path)]);
        Assert.True(predict.ExitCode == 0, predict.Output);
        int correct = files.Count(f => PrintedPrediction(predict.Output, f.Path).Label == f.Label);
        return new PatternFolderRun(images, model, train, evaluate, files, predict, random,
            new(new Dictionary<string, double> { ["held-out accuracy"] = accuracy, ["unseen images right"] = correct }, predict.Output));
    }

    [Fact]
    public void Image_folder_train_evaluate_predict()
    {
        using var run = LearnThePatternFolder(PatternFolderLearned.Seed);
        var (images, model, train, evaluate, files, predict, random) = (run.Images, run.Model, run.Train, run.Evaluate, run.Unseen, run.Predict, run.Random);
        PatternFolderLearned.Check(run.Outcome);
        Assert.Contains("4 classes, 180 training and 60 test images", train.Output);
        Assert.Contains("240 of 240 image(s) are not 32×32 (36×36: 240) and are resized to 32×32.", train.Output);
        Assert.Contains("epoch 1, loss ", train.Output);
        Assert.Contains("test acc", train.Output);
        AssertNonEmpty(model);
        string metricsPath = Path.Combine(_work, "out", "training-metrics.json");
        AssertNonEmpty(metricsPath);
        AssertNonEmpty(Path.Combine(_work, "out", "training-curves.png"));
        using (var metrics = JsonDocument.Parse(File.ReadAllText(metricsPath)))
        {
            var epochs = metrics.RootElement.GetProperty("epochs");
            Assert.Equal(6, epochs.GetArrayLength());
            Assert.Equal(180, epochs[0].GetProperty("images").GetInt64());
            Assert.True(epochs[5].GetProperty("testAccuracy").GetDouble() > 0);
        }

        // The zip takes image files, and says so.
        var loaded = ModelFile.Load(new MLContext(), model, out var inputSchema);
        using var loadedChain = (IDisposable)loaded;  // the loaded chain deletes its temporary copy of the network when disposed
        Assert.Equal("ImagePath", ServingInput.Find(loaded, inputSchema).PathColumn);

        Assert.Contains("confusion matrix", evaluate.Output);
        AssertNonEmpty(Path.Combine(_work, "out", "confusion-matrix.png"));
        using (var evaluation = JsonDocument.Parse(File.ReadAllText(Path.Combine(_work, "out", "evaluation.json"))))
        {
            var root = evaluation.RootElement;
            Assert.Equal(60, root.GetProperty("images").GetInt64());
            double counted = root.GetProperty("confusionMatrix").GetProperty("counts").EnumerateArray().SelectMany(r => r.EnumerateArray()).Sum(c => c.GetDouble());
            Assert.Equal(60, counted);
            Assert.Equal(4, root.GetProperty("classes").GetArrayLength());
        }

        // By default evaluate scores every image of the folder it is given, as the zip scores them in this process.
        var everything = Run("evaluate", "--model", model, "--data", images.Root);
        Assert.True(everything.ExitCode == 0, everything.Output);
        Assert.Contains("all 240 images", everything.Output);
        var all = images.Train.Select(row => new ImageFile { ImagePath = row.ImagePath, Label = row.Label }).ToList();
        var predicted = loaded.Transform(ImageFolder.ToDataView(all)).GetColumn<string>("PredictedLabel").ToList();
        int agreeing = all.Where((row, i) => predicted[i] == row.Label).Count();
        using (var evaluation = JsonDocument.Parse(File.ReadAllText(Path.Combine(_work, "out", "evaluation.json"))))
        {
            var root = evaluation.RootElement;
            Assert.Equal(240, root.GetProperty("images").GetInt64());
            Assert.Equal((double)agreeing / all.Count, root.GetProperty("microAccuracy").GetDouble(), 1e-9);
        }

        // The eight unseen images: the command line's answers are the zip's in this process.
        Assert.Contains("top 3", predict.Output);
        for (int i = 0; i < files.Count; i++)
        {
            var expected = PredictInProcess(model, new ImageFile { ImagePath = files[i].Path });
            var (label, score) = PrintedPrediction(predict.Output, files[i].Path);
            Assert.Equal(expected.Label, label);
            Assert.Equal(expected.Score, score, 1e-4);
        }

        // A truncated image among the files to predict: named with the reason, nothing scored.
        string fresh = Path.GetDirectoryName(files[0].Path)!;
        byte[] png = File.ReadAllBytes(files[0].Path);
        string cut = Path.Combine(fresh, "cut.png");
        File.WriteAllBytes(cut, png[..(png.Length / 3)]);
        // And a JPEG of the same image cut inside its compressed data, with its end marker (FF D9) put back.
        string jpeg = Path.Combine(fresh, "whole.jpg");
        using (var decoded = MLImage.CreateFromFile(files[0].Path))
            decoded.Save(jpeg);
        byte[] jpegBytes = File.ReadAllBytes(jpeg);
        string padded = Path.Combine(fresh, "padded.jpg");
        File.WriteAllBytes(padded, [.. jpegBytes[..(jpegBytes.Length * 3 / 4)], 0xFF, 0xD9]);
        var refused = Run("predict", model, files[1].Path, cut, padded);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("2 of 3 image file(s) cannot be used", refused.Output);
        Assert.Contains($"{cut}: truncated", refused.Output);
        Assert.Contains($"{padded}: truncated", refused.Output);
        Assert.Contains("the JPEG's compressed image data ends at byte", refused.Output);
        Assert.DoesNotContain("top 3", refused.Output);

        // Evaluation data with a class the model never saw: counted, reported, left out of the metrics.
        string withNewClass = Path.Combine(_work, "with-new-class");
        foreach (var file in Directory.EnumerateFiles(images.Root, "*.png", SearchOption.AllDirectories))
        {
            string target = Path.Combine(withNewClass, Path.GetRelativePath(images.Root, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        Directory.CreateDirectory(Path.Combine(withNewClass, "stars"));
        for (int i = 0; i < 8; i++)
            PatternImages.WritePng(Path.Combine(withNewClass, "stars", $"{i}.png"), PatternImages.Draw("disc", 36, random), 36);
        var report = Path.Combine(_work, "with-new-class-report");
        Directory.CreateDirectory(report);
        var mixed = Run("evaluate", "--model", model, "--data", withNewClass, "--report-dir", report);
        Assert.True(mixed.ExitCode == 0, mixed.Output);
        Assert.Contains("8 of 248 test images have labels the model was not trained on (stars: 8); they are left out of the metrics.", mixed.Output);
        using (var evaluation = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "evaluation.json"))))
        {
            Assert.Equal(240, evaluation.RootElement.GetProperty("images").GetInt64());
            Assert.Equal(8, evaluation.RootElement.GetProperty("unseenLabels").GetProperty("stars").GetInt64());
        }
    }

    /// <summary>
    /// Three classes told apart by hue alone: each image is a random pattern in its class's colour on grey, the three
    /// colours of (nearly) one brightness, so that grayscale all but erases the class. Chance is 1/3. Eight epochs: after
    /// four, two seeds of eight held out only 0.67 and 0.83.
    /// </summary>
    internal static readonly LearningCase HuesLearned = new(
        $"{nameof(CliEndToEndTests)}.{nameof(A_folder_of_colour_images_trains_on_three_channels_unless_told_otherwise)}", seed: 3,
        seed =>
        {
            using var tests = new CliEndToEndTests();
            return tests.LearnTheHues(seed).Outcome;
        },
        LearningBound.AtLeast("held-out accuracy", 0.9));

    private ((int ExitCode, string Output) Train, string Folder, LearningOutcome Outcome) LearnTheHues(int seed)
    {
        (string Name, byte R, byte G, byte B)[] hues = [("red", 230, 20, 20), ("green", 20, 120, 20), ("blue", 60, 60, 255)];
        string folder = Path.Combine(_work, "hues");
        var random = new Random(7);
        foreach (var (name, r, g, b) in hues)
        {
            Directory.CreateDirectory(Path.Combine(folder, name));
            for (int i = 0; i < 40; i++)
            {
                var pattern = PatternImages.Draw(PatternImages.Classes[random.Next(PatternImages.Classes.Length)], 32, random);
                var bgra = new byte[32 * 32 * 4];
                for (int p = 0; p < pattern.Length; p++)
                {
                    double t = pattern[p] / 255.0;
                    bgra[4 * p] = (byte)(b * t + 80 * (1 - t));
                    bgra[4 * p + 1] = (byte)(g * t + 80 * (1 - t));
                    bgra[4 * p + 2] = (byte)(r * t + 80 * (1 - t));
                    bgra[4 * p + 3] = 255;
                }
                using var image = MLImage.CreateFromPixels(32, 32, MLPixelFormat.Bgra32, bgra);
                image.Save(Path.Combine(folder, name, $"{i}.png"));
            }
        }
        string model = Path.Combine(_work, "hues-out", "model.zip");
        var train = Run(["train", "--data", folder, "--epochs", "8", "--model", model, .. SmallNetworkSeeded(seed)]);
        Assert.True(train.ExitCode == 0, train.Output);
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(_work, "hues-out", "training-metrics.json")));
        double accuracy = metrics.RootElement.GetProperty("epochs").EnumerateArray().Last().GetProperty("testAccuracy").GetDouble();
        return (train, folder, new(new Dictionary<string, double> { ["held-out accuracy"] = accuracy }, train.Output));
    }

    [Fact]
    public void A_folder_of_colour_images_trains_on_three_channels_unless_told_otherwise()
    {
        var (train, folder, outcome) = LearnTheHues(HuesLearned.Seed);
        Assert.Contains("The folder has images in colour: training on 3 channels (RGB)", train.Output);
        Assert.DoesNotContain("converted to grayscale", train.Output);
        HuesLearned.Check(outcome);

        // Asked for grayscale, it says what it does to the colour images.
        var gray = Run(["train", "--data", folder, "--epochs", "1", "--channels", "1", "--model", Path.Combine(_work, "gray", "model.zip"), .. SmallNetwork]);
        Assert.True(gray.ExitCode == 0, gray.Output);
        Assert.Contains("120 of 120 image(s) are in colour and are converted to grayscale.", gray.Output);
        Assert.DoesNotContain("training on 3 channels", gray.Output);
    }

    private sealed class Prediction
    {
        public float[] Score { get; set; } = [];
        public string PredictedLabel { get; set; } = "";
    }

    /// <summary>The predicted class and its score, from the zip loaded in this process.</summary>
    private static (string Label, double Score) PredictInProcess<TInput>(string model, TInput row) where TInput : class
    {
        var ml = new MLContext();
        // The engine owns the loaded chain (PredictionEngineOptions.OwnsTransformer), so disposing it disposes the chain.
        using var engine = ml.Model.CreatePredictionEngine<TInput, Prediction>(ModelFile.Load(ml, model, out _),
            new PredictionEngineOptions { OwnsTransformer = true });
        var prediction = engine.Predict(row);
        return (prediction.PredictedLabel, prediction.Score.Max());
    }

    /// <summary>The predicted and score cells of the predict table's row for <paramref name="image"/>.</summary>
    private static (string Label, double Score) PrintedPrediction(string output, string image)
    {
        var row = output.Split('\n').SingleOrDefault(l => l.Contains(image, StringComparison.Ordinal))
                  ?? throw new Xunit.Sdk.XunitException($"no single row for {image} in:\n{output}");
        var cells = row.Split('│', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return (cells[1], double.Parse(cells[2], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Fashion_mnist_idx_files_train_to_a_zip_that_predicts_image_files()
    {
        string data = Path.Combine(_work, "idx");
        IdxFiles.WriteFashionMnist(data, trainCount: 48, testCount: 16);
        string model = Path.Combine(_work, "idx-out", "model.zip");
        var train = Run(["train", "--data", data, "--limit", "40", "--test-limit", "12", "--epochs", "1", "--model", model,
            "--mixed-precision", "bf16", "--no-channels-last", .. SmallNetwork]);
        Assert.True(train.ExitCode == 0, train.Output);
        bool bf16Used = MLNet.GoogLeNet.Training.PrecisionSupport.Resolve(TorchSharp.torch.CPU, MixedPrecision.BFloat16, out _)
                        == MixedPrecision.BFloat16;
        if (!bf16Used)
            Assert.Contains("warning: MixedPrecision.BFloat16 is not used", train.Output);
        Assert.Contains("Fashion-MNIST from", train.Output);
        Assert.Contains("40 training and 12 test images (28×28)", train.Output);
        AssertNonEmpty(model);

        string png = Path.Combine(_work, "shirt.png");
        PatternImages.WritePng(png, PatternImages.Draw("checker", 28, new Random(2)), 28);
        var predict = Run("predict", model, png);
        Assert.True(predict.ExitCode == 0, predict.Output);
        // Trained on in-memory images, the zip declares and reads image files.
        var loaded = ModelFile.Load(new MLContext(), model, out var inputSchema);
        using var loadedChain = (IDisposable)loaded;  // the loaded chain deletes its temporary copy of the network when disposed
        Assert.Equal("ImagePath", Assert.Single(inputSchema).Name);
        Assert.Equal("ImagePath", ServingInput.Find(loaded, inputSchema).PathColumn);
        var expected = PredictInProcess(model, new ImageFile { ImagePath = png });
        var (label, score) = PrintedPrediction(predict.Output, png);
        Assert.Equal(expected.Label, label);
        Assert.Equal(expected.Score, score, 1e-4);
        Assert.Contains(label, FashionMnist.ClassNames);
    }

    [Fact]
    public void Errors_name_the_problem_and_set_the_exit_code()
    {
        string missing = Path.Combine(_work, "no-such-folder");
        var noData = Run("train", "--data", missing, "--model", Path.Combine(_work, "m.zip"));
        Assert.Equal(1, noData.ExitCode);
        Assert.Contains($"Data folder '{missing}' does not exist", noData.Output);
        Assert.False(File.Exists(Path.Combine(_work, "m.zip")));

        // Usage errors exit with 2 (CliApplication.Run's contract), failures of the work itself with 1.
        var badOption = Run("train", "--epochs", "0");
        Assert.Equal(2, badOption.ExitCode);
        Assert.Contains("--epochs must be at least 1", badOption.Output);
        // The options' own rules, in the command line's words, as usage errors.
        var badRate = Run("train", "--preset", "recipe", "--learning-rate", "-1");
        Assert.Equal(2, badRate.ExitCode);
        Assert.Contains("--learning-rate must be a positive number (got -1)", badRate.Output);
        var badSmoothing = Run("train", "--label-smoothing", "1.5");
        Assert.Equal(2, badSmoothing.ExitCode);
        Assert.Contains("--label-smoothing must be in [0, 1) (got 1.5)", badSmoothing.Output);
        var badPreset = Run("train", "--preset", "fast");
        Assert.Equal(2, badPreset.ExitCode);
        Assert.Contains("--preset 'fast' is not default or recipe", badPreset.Output);
        var noValidation = Run("train", "--early-stopping", "3", "--no-validation");
        Assert.Equal(2, noValidation.ExitCode);
        Assert.Contains("--early-stopping needs the test images scored", noValidation.Output);
        var presets = Run("presets");
        Assert.Equal(0, presets.ExitCode);
        Assert.Matches(@"--optimizer\s*│\s*adamw\s*│\s*sgd", presets.Output);
        var badPrecision = Run("fashion-mnist", "--mixed-precision", "fp8");
        Assert.Equal(2, badPrecision.ExitCode);
        Assert.Contains("--mixed-precision 'fp8' is not none, bf16 or auto", badPrecision.Output);
        var badEpochs = Run("fashion-mnist", "--epochs", "0");
        Assert.Equal(2, badEpochs.ExitCode);
        Assert.Contains("--epochs must be at least 1", badEpochs.Output);

        string corrupt = Path.Combine(_work, "corrupt.zip");
        File.WriteAllText(corrupt, "not a model");
        string png = Path.Combine(_work, "x.png");
        PatternImages.WritePng(png, new byte[32 * 32], 32);
        var badModel = Run("predict", corrupt, png);
        Assert.Equal(1, badModel.ExitCode);
        Assert.Contains($"Model file '{corrupt}' is not a readable ML.NET model zip", badModel.Output);

        var notInstalled = Run("fashion-mnist", "--data", missing, "--no-install");
        Assert.Equal(1, notInstalled.ExitCode);
        Assert.Contains(missing, notInstalled.Output);
    }

    [Fact]
    public void Info_prints_the_recipe_shape_trace()
    {
        var info = Run("info", "--architecture", "googlenet");
        Assert.Equal(0, info.ExitCode);
        Assert.Contains("b1 output shape:\t (1, 64, 24, 24)", info.Output);
        Assert.Contains("dense output shape:\t (1, 10)", info.Output);
        Assert.Contains("5,977,530", info.Output);

        var v3 = Run("info", "--architecture", "inception-v3", "--image-size", "32");
        Assert.Equal(0, v3.ExitCode);
        Assert.Contains("b3 output shape:\t (1, 640, 2, 2)", v3.Output);
        Assert.Contains("7,395,594", v3.Output);
        var unknown = Run("info", "--architecture", "inception-v4");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("--architecture 'inception-v4' is not", unknown.Output);
    }

    [Fact]
    public void Info_compare_prints_the_sizes_of_the_reference_and_inception_networks()
    {
        var compare = Run("info", "--compare");
        Assert.True(compare.ExitCode == 0, compare.Output);
        Assert.Contains("Input 1×96×96, 10 classes", compare.Output);
        foreach (var name in new[] { "alexnet", "vgg-11", "nin", "googlenet" })
        {
            var (parameters, macs) = Modules.ComplexityCounterTests.Expected(name, 96);
            var cells = compare.Output.Split('\n').Single(l => l.Contains($"│ {name} ", StringComparison.Ordinal))
                .Split('│', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal([name, parameters.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
                macs.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)], cells);
        }
        Assert.Contains("│ inception-v3 ", compare.Output);
        Assert.Contains("│ inception-resnet ", compare.Output);

        var tooSmall = Run("info", "--compare", "--image-size", "64");
        Assert.Equal(2, tooSmall.ExitCode);
        Assert.Contains("--compare needs --image-size of at least 67", tooSmall.Output);
    }
}
