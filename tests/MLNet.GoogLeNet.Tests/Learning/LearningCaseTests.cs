namespace MLNet.GoogLeNet.Tests.Learning;

/// <summary>The learning cases are what docs/testing.md lists: each names a test of the suite and bounds figures of its own.</summary>
public sealed class LearningCaseTests
{
    [Fact]
    public void Every_case_names_a_test_of_the_suite_once_and_bounds_each_figure_once()
    {
        var cases = LearningCase.All;
        Assert.True(cases.Count >= 15, $"only {cases.Count} learning cases found");
        Assert.Equal(cases.Count, cases.Select(c => c.Name).Distinct().Count());
        var tests = typeof(LearningCase).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods().Where(m => m.IsDefined(typeof(FactAttribute), inherit: true)).Select(m => $"{type.Name}.{m.Name}"))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var learning in cases)
        {
            // "Class.Method" or "Class.Method(argument)" for a theory's row.
            string test = learning.Name.Split('(')[0];
            Assert.True(tests.Contains(test), $"the learning case {learning.Name} names no test of the suite");
            Assert.NotEmpty(learning.Bounds);
            Assert.Equal(learning.Bounds.Count, learning.Bounds.Select(b => b.Figure).Distinct().Count());
        }
    }
}
