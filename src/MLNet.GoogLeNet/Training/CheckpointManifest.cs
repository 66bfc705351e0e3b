using System.Globalization;
using MLNet.GoogLeNet.Modules;

namespace MLNet.GoogLeNet.Training;

/// <summary>
/// What a checkpoint says besides its tensors (stored as JSON beside them): where training stood, what it had
/// reported, and what the run was — network, classes, seed and every option that changes the result — so that a resume
/// can refuse a checkpoint of a different run and say what differs.
/// </summary>
internal sealed record CheckpointManifest
{
    /// <summary>
    /// The version of the checkpoint layout this library writes and reads; a reader refuses any other before reading
    /// further, so that a manifest of another layout is never taken for this one with fields missing or misplaced.
    /// </summary>
    public const int CurrentFormat = 2;

    /// <summary>The layout the manifest was written in: <see cref="CurrentFormat"/> for one this library writes.</summary>
    public int Format { get; init; } = CurrentFormat;

    /// <summary>Where training stood: the training loop's own position record, stored whole.</summary>
    public required TrainingPosition Position { get; init; }

    /// <summary>The reports of the completed epochs.</summary>
    public required List<EpochReport> Reports { get; init; }

    /// <summary>With early stopping: the best epoch so far and its validation accuracy (its weights are stored too).</summary>
    public int? BestEpoch { get; init; }
    public double? BestAccuracy { get; init; }

    /// <summary>Adam and AdamW: each parameter's step count, in the optimiser's order.</summary>
    public required List<long> OptimizerSteps { get; init; }

    /// <summary>The network.</summary>
    public required GoogLeNetConfiguration Network { get; init; }

    /// <summary>The class names, in key order.</summary>
    public required List<string> Classes { get; init; }

    /// <summary>The run's seed and every option that changes what training computes, as text (see <see cref="Settings"/>).</summary>
    public required Dictionary<string, string> Options { get; init; }

    /// <summary>
    /// The training data's fingerprint, which a resume compares with its data's; null in a checkpoint written before the
    /// library recorded it (format 2 still: readers ignore what they do not know, and such a checkpoint resumes without
    /// the data check).
    /// </summary>
    public DataFingerprint? Data { get; init; }

    /// <summary>
    /// The options a resumed run must share with the checkpoint's to compute the same thing (<see cref="OptionRoles"/>:
    /// the <see cref="OptionRole.Compared"/> ones), as text. The seed and the mixed precision are the ones the run
    /// resolved (<paramref name="seed"/>, <paramref name="precision"/>), not the options' requests, and the backbone's
    /// rate factor says when it is not applied.
    /// </summary>
    public static Dictionary<string, string> Settings(GoogLeNetTrainerOptions o, int seed, MixedPrecision precision)
    {
        static string Text(object? value) => value switch
        {
            null => "none",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            var v => v.ToString() ?? "",
        };
        object? Value(string name) => name switch
        {
            nameof(o.Seed) => seed,
            nameof(o.MixedPrecision) => precision,
            // Applied only when fine-tuning: a run resumed without FineTuneFrom would train the backbone at another rate.
            nameof(o.BackboneLearningRateFactor) when ParameterGroups.BackboneRateFactor(o) != o.BackboneLearningRateFactor =>
                Text(o.BackboneLearningRateFactor) + " (not applied: no FineTuneFrom)",
            _ => typeof(GoogLeNetTrainerOptions).GetProperty(name)!.GetValue(o),
        };
        return OptionRoles.Compared.ToDictionary(name => name, name => Text(Value(name)));
    }

    /// <summary>
    /// How this checkpoint's run differs from a run of <paramref name="network"/>, <paramref name="classes"/>,
    /// <paramref name="settings"/> and <paramref name="data"/>: one phrase per difference ("LearningRate is 0.01 in the
    /// checkpoint and 0.005 now"), empty when they are the same run.
    /// </summary>
    public List<string> Differences(GoogLeNetConfiguration network, IReadOnlyList<string> classes, IReadOnlyDictionary<string, string> settings,
        DataFingerprint data)
    {
        var differences = NetworkDifferences(Network, network, "the checkpoint");
        if (!Classes.SequenceEqual(classes))
            differences.Add($"the classes are {string.Join(", ", Classes)} in the checkpoint and {string.Join(", ", classes)} now");
        if (Data?.Difference(data) is { } dataDifference)
            differences.Add(dataDifference);
        foreach (var (name, value) in settings)
        {
            string saved = Options.TryGetValue(name, out var text) ? text : "not recorded";
            if (saved != value)
                differences.Add($"{name} is {saved} in the checkpoint and {value} now");
        }
        return differences;
    }

    /// <summary>
    /// How the network <paramref name="saved"/> (described by <paramref name="source"/>: "the checkpoint", "the model")
    /// differs from <paramref name="network"/> in anything but the class count: the differences that make its weights
    /// unusable for it.
    /// </summary>
    public static List<string> NetworkDifferences(GoogLeNetConfiguration saved, GoogLeNetConfiguration network, string source)
    {
        var differences = new List<string>();
        if (saved.Architecture != network.Architecture)
            differences.Add($"the architecture is {saved.Architecture} in {source} and {network.Architecture} now");
        if ((saved.InputChannels, saved.ImageHeight, saved.ImageWidth) != (network.InputChannels, network.ImageHeight, network.ImageWidth))
            differences.Add($"the images are {Shape(saved)} (C×H×W) in {source} and {Shape(network)} now");
        if (saved.WidthDivisor != network.WidthDivisor)
            differences.Add($"WidthDivisor is {saved.WidthDivisor} in {source} and {network.WidthDivisor} now");
        return differences;
    }

    private static string Shape(GoogLeNetConfiguration c) => $"{c.InputChannels}×{c.ImageHeight}×{c.ImageWidth}";
}
