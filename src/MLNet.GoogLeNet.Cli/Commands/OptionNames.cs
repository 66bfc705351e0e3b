using MLNet.GoogLeNet.Modules;

namespace MLNet.GoogLeNet.Cli.Commands;

/// <summary>
/// The words the command line uses for the trainer's choices ("adamw", "one-cycle", "googlenet-bn"), both ways, and
/// the command-line option that sets each <see cref="GoogLeNetTrainerOptions"/> property, for error messages.
/// </summary>
internal static class OptionNames
{
    public static readonly IReadOnlyDictionary<string, TrainingPreset> Presets = new Dictionary<string, TrainingPreset>
    {
        ["default"] = TrainingPreset.Default, ["recipe"] = TrainingPreset.Recipe,
    };

    /// <summary>The architectures by their command-line names, from the one table of networks.</summary>
    public static readonly IReadOnlyDictionary<string, NetworkArchitecture> Architectures =
        ArchitectureTable.All.ToDictionary(entry => entry.Name, entry => entry.Architecture);

    public static readonly IReadOnlyDictionary<string, OptimizerKind> Optimizers = new Dictionary<string, OptimizerKind>
    {
        ["sgd"] = OptimizerKind.Sgd, ["adam"] = OptimizerKind.Adam, ["adamw"] = OptimizerKind.AdamW,
    };

    public static readonly IReadOnlyDictionary<string, LearningRateSchedule> Schedules = new Dictionary<string, LearningRateSchedule>
    {
        ["constant"] = LearningRateSchedule.Constant, ["step"] = LearningRateSchedule.StepDecay,
        ["cosine"] = LearningRateSchedule.Cosine, ["one-cycle"] = LearningRateSchedule.OneCycle,
    };

    public static readonly IReadOnlyDictionary<string, AugmentationKind> Augmentations = new Dictionary<string, AugmentationKind>
    {
        ["none"] = AugmentationKind.None, ["translate"] = AugmentationKind.Translate, ["resized-crop"] = AugmentationKind.RandomResizedCrop,
    };

    public static readonly IReadOnlyDictionary<string, WeightInitialization> Initializations = new Dictionary<string, WeightInitialization>
    {
        ["xavier"] = WeightInitialization.Xavier, ["kaiming"] = WeightInitialization.Kaiming,
    };

    public static readonly IReadOnlyDictionary<string, BadImagePolicy> BadImagePolicies = new Dictionary<string, BadImagePolicy>
    {
        ["skip"] = BadImagePolicy.Skip, ["fail"] = BadImagePolicy.Fail,
    };

    /// <summary>The command-line option of each options property the command line sets.</summary>
    public static readonly IReadOnlyDictionary<string, string> CliOptionOf = new Dictionary<string, string>
    {
        [nameof(GoogLeNetTrainerOptions.Architecture)] = "--architecture",
        [nameof(GoogLeNetTrainerOptions.Epochs)] = "--epochs",
        [nameof(GoogLeNetTrainerOptions.BatchSize)] = "--batch-size",
        [nameof(GoogLeNetTrainerOptions.Optimizer)] = "--optimizer",
        [nameof(GoogLeNetTrainerOptions.LearningRate)] = "--learning-rate",
        [nameof(GoogLeNetTrainerOptions.Momentum)] = "--momentum",
        [nameof(GoogLeNetTrainerOptions.Nesterov)] = "--nesterov",
        [nameof(GoogLeNetTrainerOptions.WeightDecay)] = "--weight-decay",
        [nameof(GoogLeNetTrainerOptions.LearningRateSchedule)] = "--schedule",
        [nameof(GoogLeNetTrainerOptions.WarmupFraction)] = "--warmup",
        [nameof(GoogLeNetTrainerOptions.LabelSmoothing)] = "--label-smoothing",
        [nameof(GoogLeNetTrainerOptions.Augmentation)] = "--augment",
        [nameof(GoogLeNetTrainerOptions.MaxTranslation)] = "--max-translation",
        [nameof(GoogLeNetTrainerOptions.HorizontalFlip)] = "--hflip",
        [nameof(GoogLeNetTrainerOptions.EarlyStoppingPatience)] = "--early-stopping",
        [nameof(GoogLeNetTrainerOptions.GradientClipNorm)] = "--clip-grad-norm",
        [nameof(GoogLeNetTrainerOptions.Initialization)] = "--init",
        [nameof(GoogLeNetTrainerOptions.WidthDivisor)] = "--width-divisor",
        [nameof(GoogLeNetTrainerOptions.NumberOfThreads)] = "--threads",
        [nameof(GoogLeNetTrainerOptions.MixedPrecision)] = "--mixed-precision",
        [nameof(GoogLeNetTrainerOptions.CheckpointDirectory)] = "--checkpoint-dir",
        [nameof(GoogLeNetTrainerOptions.CheckpointEveryBatches)] = "--checkpoint-every",
        [nameof(GoogLeNetTrainerOptions.KeepCheckpoints)] = "--keep-checkpoints",
        [nameof(GoogLeNetTrainerOptions.ResumeFrom)] = "--resume",
        [nameof(GoogLeNetTrainerOptions.FineTuneFrom)] = "--from",
        [nameof(GoogLeNetTrainerOptions.FreezeEpochs)] = "--freeze-epochs",
    };

    /// <summary>The word for <paramref name="value"/> in <paramref name="names"/>.</summary>
    public static string NameOf<T>(IReadOnlyDictionary<string, T> names, T value) where T : struct, Enum =>
        names.First(pair => EqualityComparer<T>.Default.Equals(pair.Value, value)).Key;

    /// <summary>
    /// Parses <paramref name="text"/> (null: <paramref name="value"/> is left alone); an error names the option and the
    /// accepted words.
    /// </summary>
    public static string? TryParse<T>(IReadOnlyDictionary<string, T> names, string? text, string option, ref T value)
    {
        if (text is null)
            return null;
        if (names.TryGetValue(text.Trim().ToLowerInvariant(), out var parsed))
        {
            value = parsed;
            return null;
        }
        return $"{option} '{text}' is not {string.Join(", ", names.Keys.SkipLast(1))} or {names.Keys.Last()}";
    }

    /// <summary>"--epochs must be at least 1 (got 0)": an options problem in the command line's words.</summary>
    public static string Describe(OptionProblem problem)
    {
        string option = CliOptionOf.TryGetValue(problem.Option, out var cli) ? cli : problem.Option;
        string value = problem.Value switch
        {
            null => "none",
            IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
            var v => v.ToString() ?? "",
        };
        return $"{option} {problem.Rule} (got {value})";
    }
}
