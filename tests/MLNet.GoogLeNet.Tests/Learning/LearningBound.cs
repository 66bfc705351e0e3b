using System.Globalization;

namespace MLNet.GoogLeNet.Tests.Learning;

/// <summary>The bound a learning test sets on one figure of its training's outcome: at least, or at most, a limit.</summary>
public sealed record LearningBound(string Figure, double Limit, bool IsLowerBound)
{
    /// <summary>The figure must be <paramref name="limit"/> or more.</summary>
    public static LearningBound AtLeast(string figure, double limit) => new(figure, limit, IsLowerBound: true);

    /// <summary>The figure must be <paramref name="limit"/> or less.</summary>
    public static LearningBound AtMost(string figure, double limit) => new(figure, limit, IsLowerBound: false);

    public bool Holds(double value) => IsLowerBound ? value >= Limit : value <= Limit;

    /// <summary>How far <paramref name="value"/> is inside the bound (negative: outside).</summary>
    public double Margin(double value) => IsLowerBound ? value - Limit : Limit - value;

    /// <summary>"≥ 0.85", "≤ 0.5".</summary>
    public override string ToString() => (IsLowerBound ? "≥ " : "≤ ") + Limit.ToString("0.###", CultureInfo.InvariantCulture);
}
