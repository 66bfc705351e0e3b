using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNet.GoogLeNet.Cli.Output;
using Spectre.Console;

namespace MLNet.GoogLeNet.Cli.Jobs;

/// <summary>
/// A training run: the trainer's options (a preset with the command line's changes, and all the training defaults
/// are theirs), plus what the run needs around them: the data, its preparation and limits, the device and where the
/// results go.
/// </summary>
internal sealed record TrainingJobSettings
{
    public required string DataFolder { get; init; }
    public required string ModelPath { get; init; }
    public required string ReportFolder { get; init; }

    /// <summary>The preset the options were made from, as the command line names it ("default", "recipe").</summary>
    public required string PresetName { get; init; }

    /// <summary>The training options; the job adds the validation set, progress reports and cancellation.</summary>
    public required GoogLeNetTrainerOptions Options { get; init; }

    public required int ImageSize { get; init; }
    /// <summary>1 or 3; null: what the data holds (<see cref="DataSet.Channels"/>).</summary>
    public int? Channels { get; init; }
    /// <summary>What the run took from the network --from holds, in words, or null (<c>TrainSettings.FromNetworkNote</c>).</summary>
    public string? NetworkFromNote { get; init; }
    public int? TrainLimit { get; init; }
    public int? TestLimit { get; init; }
    public required double TestFraction { get; init; }
    /// <summary>Image folders: the files the test split keeps together; null: a split by file.</summary>
    public ImageGrouping? Grouping { get; init; }
    public int? GpuDeviceId { get; init; }
    public bool FallbackToCpu { get; init; }
    public required int Seed { get; init; }
    public BadImagePolicy BadImages { get; init; } = BadImagePolicy.Skip;
    /// <summary>Image folders: the most pixels an image may announce (--max-pixels).</summary>
    public long MaximumPixels { get; init; } = ImageFileCheck.MaximumPixels;
    public bool ValidateEachEpoch { get; init; } = true;
}

/// <summary>
/// Trains GoogLeNet through the ML.NET pipeline (image transforms → trainer → MapKeyToValue), shows progress, and
/// writes the model zip, a metrics JSON and a PNG of the loss and accuracy curves.
/// </summary>
internal sealed class TrainingJob(IAnsiConsole console)
{
    public const string MetricsFile = "training-metrics.json";
    public const string CurvesFile = "training-curves.png";

    /// <summary>Runs the job; returns the data it trained on (for a following evaluation) and the epoch reports.</summary>
    public (DataSet Data, IReadOnlyList<EpochReport> Epochs) Run(TrainingJobSettings settings, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        var context = new MLContext(settings.Seed) { GpuDeviceId = settings.GpuDeviceId, FallbackToCpu = settings.FallbackToCpu };
        context.Log += (_, e) =>
        {
            if (!e.Source.Contains(nameof(GoogLeNetTrainer), StringComparison.Ordinal))
                return;
            if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning)
                console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(e.RawMessage)}");
            else if (e.RawMessage.StartsWith(MLNet.GoogLeNet.Training.PrecisionChoice.LogPrefix, StringComparison.Ordinal))
                console.MarkupLine(Markup.Escape(e.RawMessage));
        };
        // Published weights named by --from: fetched first, under a bar of their bytes, before the data is read; the run
        // then starts from the local file.
        if (settings.Options.FineTuneFrom is { } from && MLNet.GoogLeNet.Export.PublishedWeights.Find(from) is { } published)
        {
            IProgress<(long Done, long? Total)>? fetchProgress = null;
            string path = LiveProgress.Run(console, $"{published.Name}: {published.FileName}", 1, task =>
                    fetchProgress = new Progress<(long Done, long? Total)>(p => { task.MaxValue = p.Total ?? Math.Max(task.MaxValue, p.Done); task.Value = p.Done; }),
                () => MLNet.GoogLeNet.Export.WeightsCache.Fetch(published, fetchProgress));
            console.MarkupLine(Markup.Escape(published.Transforms is { } transforms ? $"{published.Name}: {path} (trained on {transforms})." : $"{published.Name}: {path}."));
            settings.Options.FineTuneFrom = path;
        }
        var data = DataSet.Load(settings.DataFolder, settings.TrainLimit, settings.TestLimit, settings.TestFraction,
            settings.BadImages, settings.MaximumPixels, settings.Seed, settings.Grouping, console);
        console.MarkupLine(Markup.Escape(data.Description));
        if (settings.NetworkFromNote is { } fromNote)
            console.MarkupLine(Markup.Escape(fromNote));

        int channels = settings.Channels ?? data.Channels;
        if (settings.Channels is null && channels == 3)
            console.MarkupLine("The folder has images in colour: training on 3 channels (RGB); --channels 1 reads them as grayscale.");
        var preprocessing = data.Preprocessing(context, settings.ImageSize, channels);
        if (data.DescribeConversion(settings.ImageSize, channels) is { } conversion)
            console.MarkupLine(Markup.Escape(conversion));
        var epochs = new List<EpochReport>();
        var options = settings.Options;
        using var progress = new TrainingProgress(console, options.Epochs, data.Train.GetRowCount());
        // A training process: reuse native memory between batches (docs/performance.md).
        options.KeepNativeMemory = true;
        options.CancellationToken = cancellation;
        // A run from trained weights or a checkpoint says which, and where it goes on from; a fresh run's start is the
        // preset line below.
        options.StartProgress = new ProgressHandler<TrainingStart>(start =>
        {
            if (start.ResumedFrom is not null || start.FineTunedFrom is not null)
                console.MarkupLine(Markup.Escape(start.ToString()));
        });
        options.ValidationSet = settings.ValidateEachEpoch ? preprocessing.Fit(data.Test).Transform(data.Test) : null;
        options.EpochProgress = new ProgressHandler<EpochReport>(report =>
        {
            epochs.Add(report);
            progress.EpochDone(report);
        });
        options.BatchProgress = new ProgressHandler<BatchProgress>(progress.BatchDone);
        var pipeline = preprocessing
            .Append(context.MulticlassClassification.Trainers.GoogLeNet(context, options))
            .Append(context.Transforms.Conversion.MapKeyToValue(GoogLeNetColumns.PredictedLabel));

        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"Training with the {settings.PresetName} preset's options (googlenet presets lists them), {options.Architecture} at {settings.ImageSize}×{settings.ImageSize}: ") +
            $"{options}, width divisor {options.WidthDivisor}, device {(settings.GpuDeviceId is { } id ? $"GPU {id}" : "CPU")}"));
        var model = progress.Run(() => pipeline.Fit(data.Train));

        // The zip takes image files whatever the training data was (IDX files train on in-memory images).
        FinalSave.Save(context, model, settings.ModelPath, options.CheckpointDirectory, Path.GetTempPath());
        console.MarkupLine($"model saved to [green]{Markup.Escape(settings.ModelPath)}[/]");

        var googLeNet = ((IEnumerable<ITransformer>)model).OfType<GoogLeNetTransformer>().Single();
        var report = new TrainingReport(data.Description, settings, googLeNet.Network.ParameterCount, epochs, settings.ModelPath,
            clock.Elapsed.TotalSeconds);
        string metricsPath = Path.Combine(settings.ReportFolder, MetricsFile);
        string curvesPath = Path.Combine(settings.ReportFolder, CurvesFile);
        report.Write(metricsPath);
        Charts.WriteTrainingCurves(epochs, curvesPath);
        console.MarkupLine($"metrics: [green]{Markup.Escape(metricsPath)}[/], curves: [green]{Markup.Escape(curvesPath)}[/]");
        return (data, epochs);
    }
}
