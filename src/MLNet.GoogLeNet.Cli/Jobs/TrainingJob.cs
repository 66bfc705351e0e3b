using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNet.GoogLeNet.Cli.Output;
using MLNet.GoogLeNet.Data;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Training;
using Spectre.Console;

namespace MLNet.GoogLeNet.Cli.Jobs;

/// <summary>Everything a training run needs to know; the CLI options map onto it one to one.</summary>
internal sealed record TrainingJobSettings
{
    public required string DataFolder { get; init; }
    public required string ModelPath { get; init; }
    public required string ReportFolder { get; init; }
    public int Epochs { get; init; } = 5;
    public int BatchSize { get; init; } = 128;
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Sgd;
    public double LearningRate { get; init; } = 0.1;
    public double Momentum { get; init; }
    public int ImageSize { get; init; } = 96;
    public int Channels { get; init; } = 1;
    public int WidthDivisor { get; init; } = 1;
    public WeightInitialization Initialization { get; init; } = WeightInitialization.Xavier;
    public int? TrainLimit { get; init; }
    public int? TestLimit { get; init; }
    public double TestFraction { get; init; } = 0.2;
    public int? GpuDeviceId { get; init; }
    public bool FallbackToCpu { get; init; }
    public MixedPrecision MixedPrecision { get; init; } = MixedPrecision.None;
    public bool ChannelsLast { get; init; } = true;
    public int Seed { get; init; } = 1;
    public int? Threads { get; init; }
    public bool? CacheFeatures { get; init; }
    public BadImagePolicy BadImages { get; init; } = BadImagePolicy.Skip;
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
            if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning && e.Source.Contains(nameof(GoogLeNetTrainer), StringComparison.Ordinal))
                console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(e.RawMessage)}");
        };
        var data = DataSet.Load(settings.DataFolder, settings.TrainLimit, settings.TestLimit, settings.TestFraction,
            settings.BadImages, settings.Seed, console);
        console.MarkupLine(Markup.Escape(data.Description));

        var preprocessing = data.Preprocessing(context, settings.ImageSize, settings.Channels);
        var epochs = new List<EpochReport>();
        using var progress = new TrainingProgress(console, settings.Epochs, data.Train.GetRowCount());
        var options = new GoogLeNetTrainerOptions
        {
            Epochs = settings.Epochs,
            BatchSize = settings.BatchSize,
            Optimizer = settings.Optimizer,
            LearningRate = settings.LearningRate,
            Momentum = settings.Momentum,
            WidthDivisor = settings.WidthDivisor,
            Initialization = settings.Initialization,
            NumberOfThreads = settings.Threads,
            CacheFeatures = settings.CacheFeatures,
            // A training process: reuse native memory between batches (docs/performance.md).
            KeepNativeMemory = true,
            MixedPrecision = settings.MixedPrecision,
            ChannelsLast = settings.ChannelsLast,
            Seed = settings.Seed,
            CancellationToken = cancellation,
            ValidationSet = settings.ValidateEachEpoch ? preprocessing.Fit(data.Test).Transform(data.Test) : null,
            EpochProgress = new ProgressHandler<EpochReport>(report =>
            {
                epochs.Add(report);
                progress.EpochDone(report);
            }),
            BatchProgress = new ProgressHandler<BatchProgress>(progress.BatchDone),
        };
        var pipeline = preprocessing
            .Append(context.MulticlassClassification.Trainers.GoogLeNet(context, options))
            .Append(context.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

        string optimizer = settings.Optimizer == OptimizerKind.Sgd
            ? string.Create(CultureInfo.InvariantCulture, $"SGD learning rate {settings.LearningRate:G4}, momentum {settings.Momentum:G4}")
            : string.Create(CultureInfo.InvariantCulture, $"{settings.Optimizer} learning rate {settings.LearningRate:G4}");
        console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"Training {settings.Epochs} epoch(s) at {settings.ImageSize}×{settings.ImageSize}, batch {settings.BatchSize}, {optimizer}, ") +
            $"{settings.Initialization} initialisation, width divisor {settings.WidthDivisor}, device {(settings.GpuDeviceId is { } id ? $"GPU {id}" : "CPU")}"));
        var model = progress.Run(() => pipeline.Fit(data.Train));

        ModelFile.Save(context, model, data.Train.Schema, settings.ModelPath);
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
