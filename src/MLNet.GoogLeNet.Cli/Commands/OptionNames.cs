using MLNet.GoogLeNet.Modules;
using Spectre.Console.Cli;

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

    public static readonly IReadOnlyDictionary<string, TestTimeAugmentation> TestTimeAugmentations = new Dictionary<string, TestTimeAugmentation>
    {
        ["none"] = TestTimeAugmentation.None, ["hflip"] = TestTimeAugmentation.HorizontalFlip,
    };

    public static readonly IReadOnlyDictionary<string, WeightInitialization> Initializations = new Dictionary<string, WeightInitialization>
    {
        ["xavier"] = WeightInitialization.Xavier, ["kaiming"] = WeightInitialization.Kaiming,
    };

    public static readonly IReadOnlyDictionary<string, MixedPrecision> MixedPrecisions = new Dictionary<string, MixedPrecision>
    {
        ["none"] = MixedPrecision.None, ["bf16"] = MixedPrecision.BFloat16, ["auto"] = MixedPrecision.Auto,
    };

    public static readonly IReadOnlyDictionary<string, BadImagePolicy> BadImagePolicies = new Dictionary<string, BadImagePolicy>
    {
        ["skip"] = BadImagePolicy.Skip, ["fail"] = BadImagePolicy.Fail,
    };

    /// <summary>
    /// Every option of <c>googlenet train</c> that sets a <see cref="GoogLeNetTrainerOptions"/> property
    /// (<see cref="SetsOptionAttribute"/>), in the order <c>--help</c> lists them: the property and the option's name.
    /// </summary>
    public static IReadOnlyList<(string Property, string Option)> TrainOptions { get; } =
        [.. from property in typeof(TrainSettings).GetProperties()
            let option = property.GetCustomAttributes(typeof(CommandOptionAttribute), inherit: true).Cast<CommandOptionAttribute>().FirstOrDefault()
            where option is not null
            from sets in property.GetCustomAttributes(typeof(SetsOptionAttribute), inherit: true).Cast<SetsOptionAttribute>()
            select (sets.Property, "--" + option.LongNames[0])];

    /// <summary>The command-line option of each options property the command line sets (the first, where two set it).</summary>
    public static readonly IReadOnlyDictionary<string, string> CliOptionOf =
        TrainOptions.GroupBy(o => o.Property).ToDictionary(g => g.Key, g => g.First().Option);

    /// <summary>
    /// The options the command line sets itself rather than from an option of its own, and why: together with
    /// <see cref="TrainOptions"/> they are every option of <see cref="GoogLeNetTrainerOptions"/>.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> SetByTheCommandLine = new Dictionary<string, string>
    {
        [nameof(GoogLeNetTrainerOptions.LabelColumnName)] = "the command line builds the pipeline and names its columns",
        [nameof(GoogLeNetTrainerOptions.FeatureColumnName)] = "the command line builds the pipeline and names its columns",
        [nameof(GoogLeNetTrainerOptions.StartProgress)] = "the command line says what a resumed or fine-tuned run starts from",
        [nameof(GoogLeNetTrainerOptions.EpochProgress)] = "the command line shows each epoch's report",
        [nameof(GoogLeNetTrainerOptions.BatchProgress)] = "the command line shows the progress within an epoch",
        [nameof(GoogLeNetTrainerOptions.CancellationToken)] = "Ctrl+C cancels the run between batches",
        [nameof(GoogLeNetTrainerOptions.KeepNativeMemory)] = "the command line owns its process and keeps native memory for speed",
    };

    /// <summary>
    /// How the command line writes an option's value: an enum by its word (<c>adamw</c>, <c>one-cycle</c>), a switch as
    /// yes or no, a number as the command line takes it, and an unset value as "—".
    /// </summary>
    public static string Show(object? value) => value switch
    {
        null => "—",
        bool on => on ? "yes" : "no",
        Enum => Words[value.GetType()].First(pair => pair.Value.Equals(value)).Word,
        IFormattable number => number.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>Each enum's words, from the maps above (declared after them: static fields start in order).</summary>
    private static readonly IReadOnlyDictionary<Type, IReadOnlyList<(string Word, object Value)>> Words = new[]
    {
        Entries(Presets), Entries(Architectures), Entries(Optimizers), Entries(Schedules), Entries(Augmentations),
        Entries(TestTimeAugmentations), Entries(Initializations), Entries(MixedPrecisions), Entries(BadImagePolicies),
    }.ToDictionary(e => e.Type, e => e.Entries);

    private static (Type Type, IReadOnlyList<(string Word, object Value)> Entries) Entries<T>(IReadOnlyDictionary<string, T> names)
        where T : struct, Enum => (typeof(T), [.. names.Select(pair => (pair.Key, (object)pair.Value))]);

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
