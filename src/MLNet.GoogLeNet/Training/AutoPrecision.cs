using System.Globalization;

namespace MLNet.GoogLeNet.Training;

/// <summary>The mode <see cref="MixedPrecision.Auto"/> trains with, and the sentence that says why.</summary>
internal sealed record PrecisionChoice(MixedPrecision Mode, string Reason)
{
    /// <summary>How the training log's line of the choice begins (the CLI shows that line).</summary>
    public const string LogPrefix = "Mixed precision auto: ";

    public override string ToString() => LogPrefix + Reason;
}

/// <summary>
/// The rules of <see cref="MixedPrecision.Auto"/>, apart from the timing (<see cref="PrecisionProbe"/> measures, these
/// decide): fp32 on CPUs without native bf16 and for small work, and otherwise — on a CPU with native bf16 or a CUDA
/// device — whichever the probe finds faster by a clear margin (fp32 where bf16 fails to run).
/// </summary>
internal static class AutoPrecision
{
    /// <summary>
    /// How many times as fast as fp32 bf16's median probe step must be for bf16 to be taken: 1.15. Autocast rounds
    /// the forward pass to 8 significant bits, so a gain within the probe's noise is not worth it.
    /// </summary>
    public const double MinimumSpeedup = 1.15;

    /// <summary>
    /// Multiply-accumulates of one batch's forward pass (<see cref="Modules.ComplexityCounter"/> per image × the batch
    /// size) below which no probe runs and Auto means fp32: 1 billion (the main command's batch, 128 images of 32×32 through
    /// googlenet-bn, is 3.9 billion; whether bf16 pays there depends on the CPU and the thread count, docs/recipe.md). Under
    /// it a step takes a few hundredths of a second, so the probe's eight steps, set-up included, cost more of the run
    /// than bf16 could save.
    /// </summary>
    public const long ProbeMinimumMultiplyAccumulates = 1_000_000_000;

    /// <summary>Timed steps per mode in the probe, after one warm-up step of each.</summary>
    public const int ProbeStepsPerMode = 3;

    /// <summary>
    /// The choice made without a probe, or null when only a probe can tell: without libtorch's
    /// <paramref name="autocastReachable"/> switch, on a CPU (not <paramref name="cuda"/>) without
    /// <paramref name="nativeBFloat16"/> arithmetic, and for work of fewer than <paramref name="minimumMultiplyAccumulates"/>
    /// per batch, fp32. A CUDA device is probed like a CPU: bf16 is fast from Ampere on, and slow or missing before.
    /// </summary>
    public static PrecisionChoice? WithoutProbe(bool cuda, bool autocastReachable, bool nativeBFloat16, long multiplyAccumulatesPerBatch,
        long minimumMultiplyAccumulates)
    {
        if (!autocastReachable)
            return new(MixedPrecision.None, "fp32: libtorch's autocast switch is reached on Linux only.");
        if (!cuda && !nativeBFloat16)
            return new(MixedPrecision.None, "fp32: this CPU has no native bf16 arithmetic (AVX512-BF16 or AMX), so no probe was run.");
        if (multiplyAccumulatesPerBatch < minimumMultiplyAccumulates)
            return new(MixedPrecision.None, string.Create(CultureInfo.InvariantCulture,
                $"fp32: a batch's forward pass is {multiplyAccumulatesPerBatch / 1e9:G3} billion multiply-accumulates, " +
                $"under the {minimumMultiplyAccumulates / 1e9:G3} billion from which a probe is worth its time."));
        return null;
    }

    /// <summary>
    /// What <see cref="MixedPrecision.Auto"/> takes with <see cref="GoogLeNetTrainerOptions.FreezeBackbone"/>, without a
    /// probe: the run trains the classifier head alone on features computed once, so timing full training steps would
    /// measure work it never does (at Inception-v3's 299×299, minutes and gigabytes of it), and fp32 keeps the features
    /// exact.
    /// </summary>
    public static PrecisionChoice FrozenBackbone { get; } = new(MixedPrecision.None,
        "fp32: the backbone is frozen, so the run trains the classifier head alone on features computed once; no probe of full training steps was run.");

    /// <summary>
    /// The choice from the probe's step times in seconds: bf16 when fp32's median over bf16's is at least
    /// <see cref="MinimumSpeedup"/>, else fp32 (a tie is fp32).
    /// </summary>
    public static PrecisionChoice FromProbe(IReadOnlyList<double> fp32Seconds, IReadOnlyList<double> bf16Seconds)
    {
        if (fp32Seconds.Count == 0 || bf16Seconds.Count == 0)
            throw new ArgumentException("The probe timed no steps of a mode.");
        double fp32 = Median(fp32Seconds), bf16 = Median(bf16Seconds);
        double ratio = fp32 / bf16;
        int steps = fp32Seconds.Count + bf16Seconds.Count;
        string figures = string.Create(CultureInfo.InvariantCulture,
            $"bf16 {ratio:F2}× fp32's speed in a {steps}-step probe on this device (median step {bf16:F3} s against {fp32:F3} s)");
        return ratio >= MinimumSpeedup
            ? new(MixedPrecision.BFloat16, $"bf16 autocast, {figures}.")
            : new(MixedPrecision.None, string.Create(CultureInfo.InvariantCulture,
                $"fp32, {figures}; bf16 is taken from {MinimumSpeedup:F2}×."));
    }

    /// <summary>The choice when the probe's bf16 step failed on the device (<paramref name="error"/>, libtorch's message): fp32.</summary>
    public static PrecisionChoice AfterBf16Failed(string error) =>
        new(MixedPrecision.None, $"fp32: a bf16 autocast step failed on this device in the probe ({error.Split('\n')[0].Trim()}).");

    private static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
