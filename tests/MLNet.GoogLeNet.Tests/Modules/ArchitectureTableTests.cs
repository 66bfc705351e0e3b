using System.Globalization;
using MLNet.GoogLeNet.Cli.Commands;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Modules;

/// <summary>
/// The one table of networks (ArchitectureTable): every architecture in it is built by the API, named and listed by the
/// command line, traced by <c>info</c>, compared by <c>info --compare</c> and described in docs/architectures.md; a value
/// without a row is refused, never built as another network.
/// </summary>
public sealed class ArchitectureTableTests
{
    public static TheoryData<NetworkArchitecture> Architectures() => [.. Enum.GetValues<NetworkArchitecture>()];

    [Fact]
    public void Every_value_has_one_row_and_every_row_its_own_name()
    {
        Assert.Equal(Enum.GetValues<NetworkArchitecture>().Order(), ArchitectureTable.All.Select(e => e.Architecture).Order());
        Assert.Equal(ArchitectureTable.All.Count, ArchitectureTable.All.Select(e => e.Name).Distinct().Count());
        Assert.All(ArchitectureTable.All, e => Assert.Matches("^[a-z0-9-]+$", e.Name));
    }

    [Fact]
    public void A_value_without_a_row_is_refused_by_the_network_and_the_options()
    {
        var unknown = (NetworkArchitecture)99;
        var error = Assert.Throws<ArgumentException>(() => new GoogLeNetNetwork(GoogLeNetConfiguration.Recipe with { Architecture = unknown }));
        Assert.Contains("99 is not a network this library builds", error.Message);
        var problem = new GoogLeNetTrainerOptions { Architecture = unknown }.FindProblem();
        Assert.NotNull(problem);
        Assert.Equal(nameof(GoogLeNetTrainerOptions.Architecture), problem.Option);
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Each_architecture_is_built_named_traced_and_listed(NetworkArchitecture architecture)
    {
        var entry = ArchitectureTable.Of(architecture);
        int size = entry.MinimumImageSize;
        using var network = new GoogLeNetNetwork(new GoogLeNetConfiguration(1, 10, size, size, WidthDivisor: 8, Architecture: architecture));
        Assert.Equal(architecture, network.Configuration.Architecture);

        Assert.Equal(architecture, OptionNames.Architectures[entry.Name]);
        string side = size.ToString(CultureInfo.InvariantCulture);
        var (exit, trace) = CliRunner.Run("info", "--architecture", entry.Name, "--image-size", side, "--width-divisor", "8");
        Assert.True(exit == 0, trace);
        Assert.StartsWith($"{entry.Name}, input (1, 1, {side}, {side})", trace);
        Assert.Contains($"parameters: {network.ParameterCount.ToString("N0", CultureInfo.InvariantCulture)}", trace);

        var (_, list) = CliRunner.Run("info", "--list");
        Assert.Contains($"{entry.Name}\t{entry.Summary}", list);
        foreach (var command in new[] { "train", "info" })
        {
            var (_, help) = CliRunner.Run(command, "--help");
            Assert.Contains(entry.Name, help);
        }
        string docs = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "architectures.md"));
        Assert.Contains($"`{entry.Name}`", docs);
    }

    [Fact]
    public void Info_compares_every_architecture_and_traces_the_one_train_builds_by_default()
    {
        var (exit, compare) = CliRunner.Run("info", "--compare");
        Assert.True(exit == 0, compare);
        Assert.All(ArchitectureTable.All, e => Assert.Contains($"│ {e.Name} ", compare));

        var (_, trace) = CliRunner.Run("info");
        string trained = ArchitectureTable.Of(new GoogLeNetTrainerOptions().Architecture).Name;
        Assert.StartsWith($"{trained}, input", trace);
    }
}
