using System.Reflection;

namespace MLNet.GoogLeNet.Tests.Learning;

/// <summary>
/// A training whose outcome a test asserts, declared once so that the test and the spread measurement run the same
/// thing: trained with a seed it gives its figures, and each bound must hold for them. The test trains with
/// <see cref="Seed"/>; <c>tests/learning-spread</c> trains with seeds 1–8 on every numerical path it can reach
/// (<see cref="LearningSpreadTests"/>) and prints each figure's spread against its bound, which docs/testing.md records.
/// </summary>
/// <remarks>
/// Rounding differs between CPUs (oneDNN's and MKL's kernels and blockings, the library's matrix-product convolutions on
/// AMD Zen 5), and a few dozen steps of training carry that difference into the outcome. A bound is set so that the worst
/// case measured across seeds and paths clears it with room: a test must pass on every CPU, not only on the one its
/// bound was tried on.
/// </remarks>
public sealed class LearningCase(string name, int seed, Func<int, LearningOutcome> train, params LearningBound[] bounds)
{
    /// <summary>The test's name, as docs/testing.md lists it.</summary>
    public string Name { get; } = name;

    /// <summary>The seed the test trains with.</summary>
    public int Seed { get; } = seed;

    public IReadOnlyList<LearningBound> Bounds { get; } = bounds;

    /// <summary>Trains with <paramref name="seed"/> and gives the outcome, bounds unchecked.</summary>
    public LearningOutcome Train(int seed) => train(seed);

    /// <summary>Trains with the test's seed and asserts every bound.</summary>
    public LearningOutcome Check() => Check(Train(Seed));

    /// <summary>Asserts every bound on <paramref name="outcome"/>, a training with the test's seed.</summary>
    public LearningOutcome Check(LearningOutcome outcome)
    {
        foreach (var bound in Bounds)
            Check(bound, outcome[bound.Figure], $"({outcome}) {outcome.Detail}");
        return outcome;
    }

    /// <summary>
    /// Asserts the bound on one figure, <paramref name="value"/>, computed another way from a training with the test's
    /// seed (the web API's answers, say, for the held-out accuracy of the model it serves).
    /// </summary>
    public void Check(string figure, double value) => Check(Bounds.Single(b => b.Figure == figure), value, "");

    private void Check(LearningBound bound, double value, string detail) => Assert.True(bound.Holds(value),
        $"{Name}: {bound.Figure} {value:G4}, bound {bound} {detail} The spread measured across seeds and numerical paths " +
        "is in docs/testing.md; tests/learning-spread measures it on this machine.");

    /// <summary>Every case declared in the test assembly: the static fields of this type.</summary>
    public static IReadOnlyList<LearningCase> All { get; } = typeof(LearningCase).Assembly.GetTypes()
        .SelectMany(type => type.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
        .Where(field => field.FieldType == typeof(LearningCase))
        .Select(field => (LearningCase)field.GetValue(null)!)
        .OrderBy(c => c.Name, StringComparer.Ordinal)
        .ToList();
}
