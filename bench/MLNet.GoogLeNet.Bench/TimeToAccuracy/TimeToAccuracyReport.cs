using System.Globalization;
using System.Text;

namespace MLNet.GoogLeNet.Bench.TimeToAccuracy;

/// <summary>The time-to-accuracy table: training seconds to each target for this trainer and PyTorch, and their ratio.</summary>
internal static class TimeToAccuracyReport
{
    public static string Table(IReadOnlyDictionary<string, Measurement> m, PyTorchPeer.Result peer, TimeToAccuracyRun run)
    {
        double? V(string name) => m.TryGetValue(name, out var x) ? x.Value : null;
        string Reached(string side, double target)
        {
            if (V($"{side}_{AccuracyTargets.FigureName(target)}") is { } seconds)
                return seconds.ToString("F1", CultureInfo.InvariantCulture);
            if (V($"{side}_best_accuracy") is not { } best)
                return "—";
            return string.Create(CultureInfo.InvariantCulture,
                $"not reached (best {best:F4} at {V($"{side}_best_seconds"):F1} s{(V($"{side}_stopped_by_budget") == 1 ? ", stopped by the budget" : "")})");
        }

        var o = run.Options;
        var text = new StringBuilder();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Time to accuracy, preset {run.Preset}: {o.Architecture}, {run.ImageSize}×{run.ImageSize}, batch {o.BatchSize}, {o.Epochs} epoch(s), " +
            $"{o.Optimizer} {o.LearningRate:G4} ({o.LearningRateSchedule}), {o.Initialization}; ") +
            (V(TimeToAccuracyPhase.BFloat16Figure) is { } bf16 ? $"this trainer in {(bf16 == 1 ? "bf16 autocast" : "fp32")} (MixedPrecision.{o.MixedPrecision}); " : "") +
            $"{(run.TrainImages is { } train ? $"{train} training images" : "all training images")}, scored on " +
            $"{(run.TestImages is { } test ? $"{test} test images" : "the 10,000 test images")} {TimeToAccuracyRun.EvaluationsPerEpoch} times an epoch; " +
            string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessorCount} cores; peer: {peer.Description}") +
            (run.BudgetSeconds is { } budget ? string.Create(CultureInfo.InvariantCulture, $"; at most {budget / 60:G4} min of training each") : ""));
        text.AppendLine();
        text.AppendLine("| training seconds until the test accuracy first reaches | this trainer | PyTorch | this trainer ÷ PyTorch |");
        text.AppendLine("|---|---:|---:|---:|");
        foreach (double target in AccuracyTargets.Targets)
        {
            string name = AccuracyTargets.FigureName(target);
            string ratio = V($"ours_{name}") is { } ours && V($"pytorch_{name}") is { } torch && torch > 0
                ? (ours / torch).ToString("F2", CultureInfo.InvariantCulture) + "×"
                : "—";
            text.AppendLine(CultureInfo.InvariantCulture, $"| {target:F2} | {Reached("ours", target)} | {Reached("pytorch", target)} | {ratio} |");
        }
        string Best(string side) => V($"{side}_best_accuracy") is { } best
            ? string.Create(CultureInfo.InvariantCulture, $"{best:F4} at {V($"{side}_best_seconds"):F1} s")
            : "—";
        text.AppendLine($"| (best test accuracy) | {Best("ours")} | {Best("pytorch")} | |");
        return text.ToString();
    }
}
