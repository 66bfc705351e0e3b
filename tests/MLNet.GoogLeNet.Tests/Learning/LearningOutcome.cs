using System.Globalization;

namespace MLNet.GoogLeNet.Tests.Learning;

/// <summary>What one training gave: its named figures (held-out accuracy, a log-loss, …) and a line on how it went.</summary>
public sealed record LearningOutcome(IReadOnlyDictionary<string, double> Figures, string Detail = "")
{
    public double this[string figure] => Figures[figure];

    /// <summary>"held-out accuracy 0.925, log-loss 0.326".</summary>
    public override string ToString() => string.Join(", ",
        Figures.Select(f => $"{f.Key} {f.Value.ToString("G4", CultureInfo.InvariantCulture)}"));
}
