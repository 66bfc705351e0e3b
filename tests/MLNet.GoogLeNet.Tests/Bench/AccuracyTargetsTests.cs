using MLNet.GoogLeNet.Bench.TimeToAccuracy;

namespace MLNet.GoogLeNet.Tests.Bench;

/// <summary>How the time-to-accuracy rows turn a run's evaluation points into the first time each target is reached.</summary>
public sealed class AccuracyTargetsTests
{
    private static readonly AccuracyPoint[] Points =
    [
        new(10, 0.70), new(20, 0.86), new(30, 0.84), new(40, 0.885), new(50, 0.885),
    ];

    [Fact]
    public void The_first_point_at_or_above_a_target_gives_its_time_even_when_a_later_point_falls_back()
    {
        Assert.Equal(20, AccuracyTargets.FirstReached(Points, 0.85));
        Assert.Equal(40, AccuracyTargets.FirstReached(Points, 0.88));
        Assert.Equal(20, AccuracyTargets.FirstReached(Points, 0.86));  // "at or above": equal counts
    }

    [Fact]
    public void Points_out_of_order_are_read_by_their_time()
    {
        Assert.Equal(20, AccuracyTargets.FirstReached(Points.AsEnumerable().Reverse(), 0.85));
    }

    [Fact]
    public void A_target_no_point_reaches_is_not_reached_and_the_best_point_is_the_earliest_of_the_highest()
    {
        Assert.Null(AccuracyTargets.FirstReached(Points, 0.9));
        Assert.Equal(new AccuracyPoint(40, 0.885), AccuracyTargets.Best(Points));
        Assert.Null(AccuracyTargets.FirstReached([], 0.85));
        Assert.Null(AccuracyTargets.Best([]));
    }

    [Fact]
    public void The_figure_names_carry_the_target_with_two_decimals()
    {
        Assert.Equal(new[] { "seconds_to_0.85", "seconds_to_0.88" }, AccuracyTargets.Targets.Select(AccuracyTargets.FigureName));
    }
}
