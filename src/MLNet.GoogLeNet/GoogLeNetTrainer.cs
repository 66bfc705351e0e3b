using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.GoogLeNet.Data;
using MLNet.GoogLeNet.Export;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Native;
using MLNet.GoogLeNet.Training;
using TorchSharp;

namespace MLNet.GoogLeNet;

/// <summary>
/// Trains GoogLeNet on images in an ML.NET pipeline. <see cref="Fit"/> reads the feature column (C×H×W planar floats,
/// as ExtractPixels produces them) and the key-typed label column, trains a TorchSharp network — on the GPU named by
/// <c>MLContext.GpuDeviceId</c> when there is one, else on the CPU — and returns a <see cref="GoogLeNetTransformer"/>.
/// </summary>
/// <remarks>
/// <para>Create it with <c>mlContext.MulticlassClassification.Trainers.GoogLeNet(mlContext, …)</c>.</para>
/// <para>The fitted transformer adds these columns:</para>
/// <list type="table">
/// <listheader><term>Output column</term><term>Type</term><description>Description</description></listheader>
/// <item><term><c>Score</c></term><term>vector of <see cref="float"/>, one per class</term>
/// <description>Softmax probabilities. The slot names are the label's key values (the class names).</description></item>
/// <item><term><c>PredictedLabel</c></term><term>key type, same classes as the label</term>
/// <description>The class with the highest score; carries the label's key values, so <c>MapKeyToValue</c> turns it back into the class name.</description></item>
/// </list>
/// <para>Training shuffles the rows every epoch, reads them on a background thread while the network computes, and
/// reports what it starts from (<see cref="GoogLeNetTrainerOptions.StartProgress"/>) and each epoch
/// (<see cref="GoogLeNetTrainerOptions.EpochProgress"/>), both also to the MLContext's <c>Log</c>.</para>
/// </remarks>
public sealed class GoogLeNetTrainer : IEstimator<GoogLeNetTransformer>
{
    private readonly MLContext _context;
    private readonly GoogLeNetTrainerOptions _options;

    /// <summary>Creates the trainer; prefer the catalog method <c>mlContext.MulticlassClassification.Trainers.GoogLeNet</c>.</summary>
    /// <param name="context">The MLContext: its seed, <c>GpuDeviceId</c>, <c>FallbackToCpu</c> and <c>Log</c> are used.</param>
    /// <param name="options">Training options; copied, so later changes to the object do not affect this trainer.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is invalid; the exception names it.</exception>
    public GoogLeNetTrainer(MLContext context, GoogLeNetTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _context = context;
        _options = options.Clone();
    }

    /// <summary>The label column the trainer reads.</summary>
    public string LabelColumnName => _options.LabelColumnName;

    /// <summary>The feature column the trainer reads.</summary>
    public string FeatureColumnName => _options.FeatureColumnName;

    /// <summary>Trains a network on <paramref name="input"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (the message names it).</exception>
    /// <exception cref="InvalidOperationException">The data cannot be trained on (empty, non-finite features, a loss
    /// that became NaN, a GPU asked for and absent, a checkpoint to resume or fine-tune from that is missing, unreadable or
    /// of another run, a checkpoint folder another run is writing to); the message says what and where.</exception>
    /// <exception cref="OperationCanceledException"><see cref="GoogLeNetTrainerOptions.CancellationToken"/> was cancelled.</exception>
    public GoogLeNetTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var options = _options;
        var vector = SchemaChecks.CheckFeatureColumn(input.Schema, options.FeatureColumnName, nameof(input));
        SchemaChecks.CheckLabelColumn(input.Schema, options.LabelColumnName, nameof(input));
        var classes = ClassLabels.FromLabelColumn(input.Schema[options.LabelColumnName]);
        var (channels, height, width) = SchemaChecks.ResolveImageShape(
            vector, options.FeatureColumnName, options.ImageChannels, options.ImageHeight, options.ImageWidth);
        var configuration = new GoogLeNetConfiguration(channels, classes.Count, height, width, options.WidthDivisor, options.Architecture);
        CheckConfiguration(configuration, options.FeatureColumnName, options.TrainAuxiliaryClassifiers);
        if (options.ValidationSet is { } validationSet)
            CheckValidationSet(validationSet.Schema, vector, classes.Count);

        var host = ((IHostEnvironment)_context).Register(nameof(GoogLeNetTrainer), options.Seed);
        int seed = options.Seed ?? host.Rand.Next();
        using var channel = host.Start("Training");
        TorchRuntime.EnsureLoaded();
        // The thread count and the CUDA switches below are process-wide: put back as the caller had them, however Fit
        // ends, and however many Fit calls overlap (ProcessSettingsScope says how).
        using var processSettings = ProcessSettingsScope.Open(options.NumberOfThreads);
        var device = DeviceSelection.Select(_context.GpuDeviceId, _context.FallbackToCpu, message => channel.Warning(MessageSensitivity.None, message));
        if (options.KeepNativeMemory && !NativeMemory.KeepFreedMemory())
            channel.Warning(MessageSensitivity.None, "KeepNativeMemory has no effect here: it needs Linux with glibc.");
        if (NativeMemoryHint(device.type, NativeMemory.FreedMemoryKept) is { } memoryHint)
            channel.Info(MessageSensitivity.None, memoryHint);

        // A published file named instead of a path is fetched (or found in PyTorch's cache); a file to start from that
        // cannot be read is refused before any network is built or timed.
        string? startFrom = options.ResumeFrom is not null || options.FineTuneFrom is not { } from ? null
            : WeightsCache.Resolve(from, new Progress<(long Done, long? Total)>(p => channel.Trace(MessageSensitivity.None,
                string.Create(CultureInfo.InvariantCulture, $"{from}: {p.Done:N0} of {p.Total?.ToString("N0", CultureInfo.InvariantCulture) ?? "?"} bytes"))));
        if (startFrom is not null)
            StartingNetwork.Require(startFrom, nameof(GoogLeNetTrainerOptions.FineTuneFrom));
        // Read before the precision is chosen: a resumed Auto run takes the mode its checkpoint trained in.
        using var resume = options.ResumeFrom is { } resumeFrom ? ReadCheckpoint(resumeFrom, nameof(GoogLeNetTrainerOptions.ResumeFrom)) : null;
        MixedPrecision precision;
        if (options.MixedPrecision == MixedPrecision.Auto && resume?.Manifest.Options.GetValueOrDefault(nameof(options.MixedPrecision)) is { } resumed
            && Enum.TryParse(resumed, out MixedPrecision checkpointPrecision) && checkpointPrecision != MixedPrecision.Auto)
        {
            channel.Info(MessageSensitivity.None, $"Mixed precision auto: {(checkpointPrecision == MixedPrecision.None ? "fp32" : "bf16 autocast")}, as the resumed checkpoint trained; no probe.");
            precision = checkpointPrecision;
        }
        else if (options.MixedPrecision == MixedPrecision.Auto)
        {
            var choice = PrecisionSupport.ResolveAuto(device, configuration, options, seed);
            channel.Info(MessageSensitivity.None, choice.ToString());
            precision = choice.Mode;
        }
        else
        {
            precision = PrecisionSupport.Resolve(device, options.MixedPrecision, out string? precisionWarning);
            if (precisionWarning is not null)
                channel.Warning(MessageSensitivity.None, precisionWarning);
        }
        var settings = CheckpointManifest.Settings(options, seed, precision);
        // Taken before any work, and held until Fit returns: a second run on the same folder is refused at its start.
        using var checkpointFolder = options.CheckpointDirectory is { } folder ? CheckpointFolder.Open(folder, options.KeepCheckpoints) : null;
        // What a checkpoint records of the data, and a resume compares: only computed when either is asked for.
        var data = checkpointFolder is not null || options.ResumeFrom is not null
            ? DataFingerprint.Of(input, options.FeatureColumnName, options.LabelColumnName)
            : null;
        if (resume is not null)
            CheckResume(resume, configuration, classes, settings, data!);
        var network = new GoogLeNetNetwork(configuration, seed, options.Initialization, options.TrainAuxiliaryClassifiers);
        try
        {
            network.to(device);
            var start = resume is not null ? TrainingStart.Resuming(resume.Path, resume.Manifest.Position, options.Epochs)
                : startFrom is not null ? StartingWeights.CopyInto(network, startFrom, classes.Names)
                : TrainingStart.Fresh(options.Initialization);
            if (DeviceTransfer.Prepare(device, options.AllowTf32, options.CudnnAutotune) is { } prepareWarning)
                channel.Warning(MessageSensitivity.None, prepareWarning);
            channel.Info(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture,
                $"Training {options.Architecture} ({channels}×{height}×{width}, {classes.Count} classes, {network.ParameterCount:N0} parameters) " +
                $"on {device} with the {options.Preset} preset's options: {options}, seed {seed}; " +
                $"{(ConvolutionLayout.ChannelsLastOn(device, options.ChannelsLast) ? "channels-last" : "contiguous")} layout, {(precision == MixedPrecision.None ? "fp32" : "bf16 autocast")}."));

            var source = new BatchSource(options.FeatureColumnName, configuration.FeatureLength, options.LabelColumnName, classes.Count,
                RequireFiniteFeatures: true);
            IDataView train = input;
            IDataView? validation = options.ValidationSet;
            long? trainRows = input.GetRowCount();
            if (options.FreezeBackbone)
            {
                // The features are computed in the layout the network trains and scores in.
                network.UseChannelsLast(ConvolutionLayout.ChannelsLastOn(device, options.ChannelsLast));
                var features = BackboneFeatures.Compute(_context, network, device, precision, options, source, input, validation,
                    message => channel.Info(MessageSensitivity.None, message));
                (train, validation, source, trainRows) = (features.Train, features.Validation, features.Source, features.TrainRows);
                if (BatchAugmentation.For(options, seed) is not null)
                    channel.Warning(MessageSensitivity.None,
                        $"FreezeBackbone: augmentation ({options.Augmentation}{(options.HorizontalFlip ? ", horizontal flip" : "")}) is not applied: " +
                        "each image's features are computed once, from the image as it is. Set Augmentation to None (--augment none) to say so.");
            }
            else if (FeatureCache.Decide(options.CacheFeatures, trainRows, validation?.GetRowCount(), validation is not null,
                         configuration.FeatureLength, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, out string cacheMessage))
            {
                channel.Info(MessageSensitivity.None, cacheMessage);
                train = _context.Data.Cache(input, options.FeatureColumnName, options.LabelColumnName);
                if (validation is not null)
                    validation = _context.Data.Cache(validation, options.FeatureColumnName, options.LabelColumnName);
            }
            else
            {
                channel.Info(MessageSensitivity.None, cacheMessage);
            }
            IDataView EpochData(int epoch, int shuffleSeed) => _context.Data.ShuffleRows(
                train, seed: shuffleSeed, shufflePoolSize: options.ShufflePoolSize, shuffleSource: true);

            // The per-step schedule needs the number of steps before the first epoch has counted them.
            long? rowsPerEpoch = trainRows ?? CountRows(input, options.LabelColumnName);
            var checkpoints = checkpointFolder is not null
                ? new CheckpointPlan(checkpointFolder, options.CheckpointEveryBatches, classes.Names, settings, data!)
                : null;
            var loop = new TrainingLoop(network, device, options, precision, seed, checkpoints, resume);
            channel.Info(MessageSensitivity.None, start.ToString());
            options.StartProgress?.Report(start);
            var reports = loop.Run(EpochData, source, validation, rowsPerEpoch,
                report =>
                {
                    channel.Info(MessageSensitivity.None, report.ToString());
                    options.EpochProgress?.Report(report);
                },
                options.BatchProgress is { } batchProgress ? batchProgress.Report : null,
                message => channel.Info(MessageSensitivity.None, message),
                options.CancellationToken);

            if (network.HasAuxiliaryClassifiers)
            {
                // The model scores, explains, saves and exports without them: torchvision's aux_logits=False network.
                var trained = network.WithoutAuxiliaryClassifiers();
                network.Dispose();
                network = trained;
            }
            return new GoogLeNetTransformer(network, device, input.Schema, options.FeatureColumnName, classes,
                reports, options.ScoringBatchSize, scoreChannelsLast: ConvolutionLayout.ChannelsLastOn(device, options.ChannelsLast),
                options.TestTimeAugmentation);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The schema after the fitted transformer: the input columns plus <c>Score</c> and <c>PredictedLabel</c>, with the
    /// same types and annotations that ML.NET's multiclass trainers declare.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        SchemaChecks.CheckShape(inputSchema, _options.FeatureColumnName, _options.LabelColumnName);
        // SchemaShape.Column has no public constructor; ML.NET's own multiclass trainer declares exactly the columns
        // this trainer adds (Score: Single vector with slot names; PredictedLabel: key with the label's values).
        return _context.MulticlassClassification.Trainers
            .LbfgsMaximumEntropy(_options.LabelColumnName, _options.FeatureColumnName)
            .GetOutputSchema(inputSchema);
    }

    /// <summary>
    /// Refuses to resume from <paramref name="checkpoint"/> unless it is of this same run, saying what differs.
    /// </summary>
    private static void CheckResume(Checkpoint checkpoint, GoogLeNetConfiguration configuration, ClassLabels classes, Dictionary<string, string> settings,
        DataFingerprint data)
    {
        var differences = checkpoint.Manifest.Differences(configuration, classes.Names, settings, data);
        if (differences.Count == 0)
            return;
        throw new InvalidOperationException(
            $"Cannot resume from checkpoint '{checkpoint.Path}': it is of a different training run — {string.Join("; ", differences)}. " +
            "Resume with the options it was written with, or use it as the start of a new run with FineTuneFrom.");
    }

    internal static Checkpoint ReadCheckpoint(string path, string option)
    {
        try
        {
            return Checkpoint.Read(CheckpointFolder.Resolve(path));
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{option}: {e.Message}", e);
        }
    }

    /// <summary>Rows of <paramref name="data"/>, counted with only the label column active (images are not decoded).</summary>
    private static long CountRows(IDataView data, string labelColumn)
    {
        long rows = 0;
        using var cursor = data.GetRowCursor([data.Schema[labelColumn]]);
        while (cursor.MoveNext())
            rows++;
        return rows;
    }

    /// <summary>
    /// The line Fit logs where it trains on a CPU while the process hands freed native memory back to the system: every
    /// batch then faults its activations (tens to hundreds of megabytes) in afresh, and KeepNativeMemory, which the
    /// library leaves to its caller because it is process-wide, is the remedy.
    /// </summary>
    internal static string? NativeMemoryHint(DeviceType device, bool memoryKept) =>
        device == DeviceType.CPU && !memoryKept && OperatingSystem.IsLinux()
            ? "The C allocator hands each batch's freed memory back to the system, and the next batch faults it in again. " +
              "Set KeepNativeMemory = true to keep it for reuse: faster training, by how much depends on the machine " +
              "(docs/performance.md, 'Native memory'), at the cost of a process-wide setting that lasts until the process exits."
            : null;

    /// <summary>The network's rules for its input (and, with <paramref name="auxiliary"/>, its auxiliary classifiers'), checked before any work.</summary>
    private static void CheckConfiguration(GoogLeNetConfiguration configuration, string featureColumn, bool auxiliary)
    {
        try
        {
            configuration.Validate();
            if (auxiliary)
                GoogLeNetNetwork.RequireAuxiliaryImageSize(configuration);
        }
        catch (ArgumentException e)
        {
            int smallest = !ArchitectureTable.Contains(configuration.Architecture) ? GoogLeNetConfiguration.MinimumImageSize
                : auxiliary ? ArchitectureTable.Of(configuration.Architecture).AuxiliaryMinimumImageSize
                : ArchitectureTable.Of(configuration.Architecture).MinimumImageSize;
            throw new ArgumentOutOfRangeException(nameof(GoogLeNetTrainerOptions.FeatureColumnName), string.Create(CultureInfo.InvariantCulture,
                $"Feature column '{featureColumn}' holds {configuration.InputChannels}×{configuration.ImageHeight}×{configuration.ImageWidth} images " +
                $"(C×H×W), which {configuration.Architecture} cannot take: {e.Message} Resize the images (ResizeImages) to at least " +
                $"{smallest}×{smallest} and extract 1 or 3 channels."));
        }
    }

    private void CheckValidationSet(DataViewSchema schema, VectorDataViewType trainFeatures, int classCount)
    {
        const string parameter = nameof(GoogLeNetTrainerOptions.ValidationSet);
        var features = SchemaChecks.CheckFeatureColumn(schema, _options.FeatureColumnName, parameter);
        if (features.Size != trainFeatures.Size)
            throw new ArgumentOutOfRangeException(parameter,
                $"Validation set: feature column '{_options.FeatureColumnName}' is {features}, but the training data's is {trainFeatures}.");
        var key = SchemaChecks.CheckLabelColumn(schema, _options.LabelColumnName, parameter);
        if (key.Count != (ulong)classCount)
            throw new ArgumentOutOfRangeException(parameter,
                $"Validation set: label column '{_options.LabelColumnName}' has {key.Count} classes, the training data's has {classCount}. " +
                "Map both with the same fitted MapValueToKey transformer.");
    }
}
