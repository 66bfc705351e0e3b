using MLNet.GoogLeNet.Modules;

namespace MLNet.GoogLeNet.Bench.TimeToAccuracy;

/// <summary>
/// The training run a time-to-accuracy row times, for this trainer and the PyTorch peer alike: the preset's options
/// and image size, how many images (all of Fashion-MNIST, or the quick mode's few), how often the weights are scored,
/// and the bound on training time.
/// </summary>
internal sealed record TimeToAccuracyRun(string Preset, int ImageSize, GoogLeNetTrainerOptions Options, int? TrainImages, int? TestImages, double? BudgetSeconds)
{
    /// <summary>Evaluation points per epoch: often enough to place the targets within a quarter epoch.</summary>
    public const int EvaluationsPerEpoch = 4;

    /// <summary>The presets the rows can time: "default" (the main command's CPU-sized run) and "recipe".</summary>
    public static IReadOnlyList<string> Presets { get; } = ["default", "recipe"];

    /// <summary>
    /// The run <paramref name="bench"/> asks for. "default" trains as <c>googlenet fashion-mnist</c> does
    /// (<see cref="QuickRun.FashionMnist"/>), "recipe" as <see cref="GoogLeNetTrainerOptions.Recipe"/> at the recipe's
    /// 96×96; in quick mode with the bench's tiny batch and image counts.
    /// </summary>
    public static TimeToAccuracyRun For(BenchOptions bench)
    {
        var (options, imageSize) = bench.Preset switch
        {
            "default" => (QuickRun.FashionMnist.TrainerOptions(), QuickRun.FashionMnist.ImageSize),
            "recipe" => (GoogLeNetTrainerOptions.Recipe(), GoogLeNetConfiguration.RecipeImageSize),
            _ => throw new ArgumentException($"Unknown preset '{bench.Preset}' for --preset: {string.Join(" or ", Presets)}."),
        };
        if (bench.IsQuick)
            options.BatchSize = bench.BatchSize;
        return new TimeToAccuracyRun(bench.Preset, imageSize, options, bench.IsQuick ? bench.FitImages : null,
            bench.IsQuick ? bench.InferenceImages : null, bench.BudgetMinutes * 60);
    }

    /// <summary>Batches between evaluation points, for <paramref name="trainImages"/> images an epoch (the epoch's end is one too).</summary>
    public int EvaluateEveryBatches(int trainImages)
    {
        int batches = (trainImages + Options.BatchSize - 1) / Options.BatchSize;
        return Math.Max(1, batches / EvaluationsPerEpoch);
    }
}
