namespace MLNet.GoogLeNet.Bench.TimeToAccuracy;

/// <summary>The test-set accuracy of the weights at one evaluation point, and the training seconds spent to reach them.</summary>
internal sealed record AccuracyPoint(double Seconds, double Accuracy);

/// <summary>
/// The targets of the time-to-accuracy rows, and how a run's evaluation points answer them: the first training time
/// at which the test accuracy reached each target, or none when no point reached it.
/// </summary>
internal static class AccuracyTargets
{
    /// <summary>Test accuracies on the 10,000 Fashion-MNIST test images that the rows time.</summary>
    public static IReadOnlyList<double> Targets { get; } = [0.85, 0.88];

    /// <summary>The training seconds of the earliest point at or above <paramref name="target"/>; null when none is.</summary>
    public static double? FirstReached(IEnumerable<AccuracyPoint> points, double target) =>
        points.Where(p => p.Accuracy >= target).OrderBy(p => p.Seconds).Select(p => (double?)p.Seconds).FirstOrDefault();

    /// <summary>The point of highest accuracy (the earliest of equals); null when there are no points.</summary>
    public static AccuracyPoint? Best(IEnumerable<AccuracyPoint> points) =>
        points.OrderByDescending(p => p.Accuracy).ThenBy(p => p.Seconds).FirstOrDefault();

    /// <summary>The name of the figure holding the seconds to <paramref name="target"/>, e.g. "seconds_to_0.85".</summary>
    public static string FigureName(double target) =>
        "seconds_to_" + target.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
}
