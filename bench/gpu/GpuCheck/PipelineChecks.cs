using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace MLNet.GoogLeNet.GpuCheck;

/// <summary>
/// The library as a user runs it on the device: ML.NET's pipeline (in-memory Fashion-MNIST → ImagePreprocessing at
/// 96×96 → the trainer) fitted with <c>MLContext.GpuDeviceId</c>, for the recipe preset, the default preset (mixed
/// precision Auto), forced bf16 autocast and a checkpointed run resumed; then the zip trained on the device, scored by
/// ONNX Runtime on the CPU in a fresh context. Checkpoints and the zip go to <paramref name="scratch"/>, not to the report's folder.
/// </summary>
internal sealed class PipelineChecks(CheckReport report, CheckOptions check, string scratch)
{
    /// <summary>The chapter's seconds per Fashion-MNIST epoch at 96×96 on its GPU (../shared/reference).</summary>
    private const double ChapterSecondsPerEpoch = 62;

    private const int FashionMnistTrainImages = 60_000;

    /// <summary>
    /// The default preset's accuracy after two epochs, on the held-out images, that the GPU run must reach (chance is
    /// 0.1; the main command, three epochs of all 60,000 images at 32×32 on a CPU, reaches about 0.91).
    /// </summary>
    private const double DefaultPresetBound = 0.7;

    /// <summary>What bf16 autocast must reach in two epochs: above chance by far, so that it learned.</summary>
    private const double BFloat16Bound = 0.5;

    /// <summary>The largest difference of a class probability between the device's scores and the zip's on the CPU.</summary>
    private const double ZipTolerance = 1e-3;

    /// <summary>The training images of the bf16 and the checkpointed runs, which check that something works, not its speed.</summary>
    private const int ShortRunImages = 5_000;

    private readonly List<string> _log = [];

    public void Run()
    {
        var trainImages = FashionMnist.Load(check.Data, FashionMnistSplit.Train, check.TrainImages);
        var testImages = FashionMnist.Load(check.Data, FashionMnistSplit.Test, check.TestImages);
        int shortCount = Math.Min(ShortRunImages, trainImages.Count), pixels = trainImages.Width * trainImages.Height;
        var shortRun = new GrayscaleImages(trainImages.Pixels[..(shortCount * pixels)], trainImages.Labels.Take(shortCount).ToList(),
            trainImages.Width, trainImages.Height).ToDataView();
        report.Fact("data", $"{trainImages.Count} training and {testImages.Count} held-out Fashion-MNIST images at 96x96");
        var context = NewContext();
        var preprocessing = ImagePreprocessing.FromImages(context, imageSize: 96, channels: 1, classes: FashionMnist.ClassNames);
        var train = trainImages.ToDataView();
        var test = testImages.ToDataView();
        var validation = preprocessing.Fit(test).Transform(test);

        report.Attempt("recipe", () =>
        {
            var recipe = GoogLeNetTrainerOptions.Recipe();
            recipe.Epochs = check.RecipeEpochs;
            recipe.ValidationSet = validation;
            Console.WriteLine("recipe preset:");
            var (_, epochs) = Fit("recipe", context, preprocessing, train, recipe);
            report.Fact("recipe.seconds_per_epoch_of_60000", FashionMnistTrainImages / epochs[^1].ImagesPerSecond, "s");
            report.Fact("recipe.chapter_seconds_per_epoch", ChapterSecondsPerEpoch, "s (the book's GPU, PyTorch)");
        });

        ITransformer? model = null;
        report.Attempt("default", () =>
        {
            Console.WriteLine("default preset:");
            (model, var epochs) = Fit("default", context, preprocessing, train, new GoogLeNetTrainerOptions { Epochs = 2, ValidationSet = validation });
            report.LearnedAtLeast("default.validation_accuracy", epochs[^1].ValidationAccuracy ?? 0, DefaultPresetBound);
            report.Fact("default.seconds_per_epoch_of_60000", FashionMnistTrainImages / epochs[^1].ImagesPerSecond, "s");
            report.Fact("default.precision", _log.LastOrDefault(line => line.Contains("Mixed precision auto", StringComparison.Ordinal)) ?? "(not logged)");
        });

        report.Attempt("bf16", () =>
        {
            var bf16 = new GoogLeNetTrainerOptions { Epochs = 2, ValidationSet = validation, MixedPrecision = MixedPrecision.BFloat16 };
            Console.WriteLine("bf16 autocast:");
            var (_, epochs) = Fit("bf16", context, preprocessing, shortRun, bf16);
            report.Holds("bf16.loss_finite", epochs.All(e => double.IsFinite(e.Loss)), string.Join(", ", epochs.Select(e => e.Loss.ToString("0.####"))));
            report.LearnedAtLeast("bf16.validation_accuracy", epochs[^1].ValidationAccuracy ?? 0, BFloat16Bound);
        });

        report.Attempt("resume", () => ResumeFromCheckpoint(context, preprocessing, shortRun, validation));
        report.Attempt("zip", () => ZipOnCpu(model ?? throw new InvalidOperationException("the default preset's run gave no model to save"), testImages));
    }

    /// <summary>
    /// Two epochs with a checkpoint folder, then the same run resumed from the first epoch's checkpoint: it must
    /// train the second epoch only and end where the uninterrupted run ended (exactly on a CPU with the same threads;
    /// on a GPU within the device's run-to-run variation, reported).
    /// </summary>
    private void ResumeFromCheckpoint(MLContext context, IEstimator<ITransformer> preprocessing, IDataView train, IDataView validation)
    {
        string folder = Path.Combine(scratch, "checkpoints");
        GoogLeNetTrainerOptions Options() => new()
        {
            Epochs = 2, ValidationSet = validation, MixedPrecision = MixedPrecision.None, CheckpointDirectory = folder, Seed = 3,
        };
        Console.WriteLine("checkpointed, then resumed from its first epoch:");
        var (_, whole) = Fit("checkpointed", context, preprocessing, train, Options());
        string first = Directory.GetFiles(folder, "checkpoint-e0001-*.ckpt").Order(StringComparer.Ordinal).Last();
        var resumed = Options();
        resumed.ResumeFrom = first;
        var (_, after) = Fit("resumed", context, preprocessing, train, resumed);
        report.Holds("resume.trains_only_what_was_left", after.Select(e => e.Epoch).SequenceEqual([2]),
            $"resumed from {Path.GetFileName(first)}, trained epoch(s) {string.Join(", ", after.Select(e => e.Epoch))}");
        report.Fact("resume.validation_accuracy_difference",
            Math.Abs((after[^1].ValidationAccuracy ?? 0) - (whole[^1].ValidationAccuracy ?? 0)), "(uninterrupted against resumed)");
    }

    /// <summary>The default preset's model saved as a zip and scored by ONNX Runtime on the CPU, against the device's scores.</summary>
    private void ZipOnCpu(ITransformer model, GrayscaleImages testImages)
    {
        var context = NewContext();
        string path = Path.Combine(scratch, "trained-on-device.zip");
        ModelFile.SaveForServing(context, model, path);
        List<float[]> onDevice;
        using (new Tf32Off())  // cuDNN's convolutions use TF32 by default
            onDevice = Scores(model.Transform(testImages.ToDataView()));

        var cpuContext = new MLContext(seed: 1);  // no GpuDeviceId: ONNX Runtime's CPU provider
        var loaded = ModelFile.Load(cpuContext, path, out var inputSchema);
        using var disposeLoaded = (IDisposable)loaded;
        var fromImages = ServingInput.Find(loaded, inputSchema).FromImages(out string imageColumn);
        var onCpu = Scores(fromImages.Transform(testImages.ToDataView(imageColumn)));

        double worst = onDevice.Zip(onCpu, (a, b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max()).Max();
        int sameClass = onDevice.Zip(onCpu, (a, b) => Array.IndexOf(a, a.Max()) == Array.IndexOf(b, b.Max())).Count(same => same);
        report.AtMost("zip.largest_probability_difference", worst, ZipTolerance, "(the device's transformer, TF32 off, against the zip on ONNX Runtime's CPU provider)");
        report.Fact("zip.same_predicted_class", $"{sameClass} of {onDevice.Count}");
    }

    private static List<float[]> Scores(IDataView scored) =>
        [.. scored.GetColumn<float[]>(GoogLeNetColumns.Score)];

    private (ITransformer Model, List<EpochReport> Epochs) Fit(string name, MLContext context, IEstimator<ITransformer> preprocessing,
        IDataView train, GoogLeNetTrainerOptions options)
    {
        var epochs = new List<EpochReport>();
        options.EpochProgress = new Progress(epochs);  // the trainer's log prints each epoch
        var pipeline = preprocessing.Append(context.MulticlassClassification.Trainers.GoogLeNet(context, options));
        var model = pipeline.Fit(train);
        foreach (var epoch in epochs)
        {
            report.Fact($"{name}.epoch{epoch.Epoch}.seconds", epoch.Seconds, "s");
            report.Fact($"{name}.epoch{epoch.Epoch}.images_per_second", epoch.ImagesPerSecond);
            report.Fact($"{name}.epoch{epoch.Epoch}.validation_accuracy", epoch.ValidationAccuracy ?? double.NaN);
        }
        return (model, epochs);
    }

    private MLContext NewContext()
    {
        var context = new MLContext(seed: 1) { GpuDeviceId = check.Cuda ? 0 : null, FallbackToCpu = false };
        context.Log += (_, message) =>
        {
            if (message.Kind != ChannelMessageKind.Trace && message.Source.Contains(nameof(GoogLeNetTrainer), StringComparison.Ordinal))
            {
                _log.Add(message.RawMessage);
                Console.WriteLine("  " + message.RawMessage);
            }
        };
        return context;
    }

    /// <summary>Collects the epoch reports synchronously (Progress&lt;T&gt; would post them to the thread pool).</summary>
    private sealed class Progress(List<EpochReport> epochs) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => epochs.Add(value);
    }
}
