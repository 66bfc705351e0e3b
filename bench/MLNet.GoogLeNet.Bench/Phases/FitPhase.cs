using Microsoft.ML;
using MLNet.GoogLeNet.Native;

namespace MLNet.GoogLeNet.Bench.Phases;

/// <summary>
/// (b) End-to-end Fit through the ML.NET image pipeline — in-memory 28×28 images, grayscale, resize to 96×96, pixel
/// extraction, batching, training — with the recipe's settings. Epoch 1 is reported apart from the rest; resident
/// memory is read after every epoch. For (b) and (b+) the compute-only rate (a) is measured once more just before
/// Fit, as a same-process reference.
/// </summary>
internal static class FitPhase
{
    /// <summary>The ways Fit is measured.</summary>
    public enum Variant
    {
        /// <summary>The trainer's defaults: the preprocessed images are cached automatically (they fit in memory).</summary>
        Defaults,

        /// <summary>CacheFeatures = false: every epoch decodes, resizes and extracts pixels again.</summary>
        NoCache,

        /// <summary>As the CLI trains: the defaults plus KeepNativeMemory.</summary>
        Tuned,
    }

    public static string Prefix(Variant variant) => variant switch
    {
        Variant.Defaults => "fit",
        Variant.NoCache => "fit_nocache",
        _ => "fit_tuned",
    };

    public static IEnumerable<Measurement> Run(BenchOptions options, Variant variant)
    {
        string prefix = Prefix(variant);
        var images = BenchData.Load(options.Data, FashionMnistSplit.Train, options.FitImages);
        var ml = new MLContext(seed: 1);
        var reports = new List<(EpochReport Report, double ResidentMiB)>();
        var trainer = ml.MulticlassClassification.Trainers.GoogLeNet(ml, new GoogLeNetTrainerOptions(TrainingPreset.Recipe)
        {
            Epochs = options.FitEpochs,
            BatchSize = options.BatchSize,
            CacheFeatures = variant == Variant.NoCache ? false : null,
            KeepNativeMemory = variant == Variant.Tuned,
            EpochProgress = new ProgressHandler<EpochReport>(r => reports.Add((r, Memory.ResidentMiB))),
        });
        var pipeline = ImagePreprocessing.FromImages(ml, 96, 1, FashionMnist.ClassNames).Append(trainer);

        // (a) again, in this process and just before Fit, under the same allocator setting: the reference the table
        // sets (b) and (b+) against, which the machine's drift between phases (minutes apart) does not move.
        if (variant == Variant.Tuned)
            NativeMemory.KeepFreedMemory();
        double? reference = variant == Variant.NoCache
            ? null
            : ComputePhase.StepsPerSecond(channelsLast: true, MixedPrecision.None, options.BatchSize, options.ComputeSteps);
        pipeline.Fit(images.ToDataView());
        if (reference is { } rate)
            yield return new Measurement($"{prefix}_compute_reference", rate, "img/s");
        yield return new Measurement($"{prefix}_epoch1", reports[0].Report.ImagesPerSecond, "img/s");
        var steady = reports.Skip(1).ToList();
        yield return new Measurement($"{prefix}_steady", steady.Sum(r => r.Report.Images) / steady.Sum(r => r.Report.Seconds), "img/s");
        foreach (var (report, resident) in reports)
            yield return new Measurement($"{prefix}_rss_after_epoch{report.Epoch}", resident, "MiB");
        yield return new Measurement($"{prefix}_peak_rss", Memory.PeakResidentMiB, "MiB");
    }
}
