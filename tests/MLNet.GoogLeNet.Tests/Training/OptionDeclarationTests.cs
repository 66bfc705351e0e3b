using System.Reflection;
using MLNet.GoogLeNet.Cli.Commands;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Tests.TestData;
using MLNet.GoogLeNet.Training;
using Spectre.Console.Cli;

namespace MLNet.GoogLeNet.Tests.Training;

/// <summary>
/// Each option of <see cref="GoogLeNetTrainerOptions"/> is declared once for each of its uses: its role on resume
/// (OptionRoles) and the command-line option that sets it (SetsOptionAttribute), from which the resume comparison,
/// the error messages' option names and <c>googlenet presets</c> are derived. An option added without them fails here.
/// </summary>
public sealed class OptionDeclarationTests
{
    private static readonly IReadOnlyList<PropertyInfo> Settable =
        [.. typeof(GoogLeNetTrainerOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true })];

    [Fact]
    public void Every_settable_option_has_one_role()
    {
        Assert.True(Settable.Count > 40, $"only {Settable.Count} settable options found");
        Assert.Equal(Settable.Select(p => p.Name).Order(), OptionRoles.All.Keys.Order());
    }

    [Fact]
    public void Every_option_is_set_from_the_command_line_or_by_it_for_a_stated_reason_and_every_cli_option_names_an_option()
    {
        var named = OptionNames.TrainOptions.Select(o => o.Property).ToHashSet();
        foreach (var property in Settable)
        {
            bool onCli = named.Contains(property.Name), byCli = OptionNames.SetByTheCommandLine.ContainsKey(property.Name);
            Assert.True(onCli ^ byCli, $"{property.Name}: {(onCli ? "both an option of train and set by the command line itself" : "neither an option of train nor set by the command line")}");
        }
        Assert.All(named, name => Assert.Contains(Settable, p => p.Name == name));
        Assert.All(OptionNames.SetByTheCommandLine.Keys, name => Assert.Contains(Settable, p => p.Name == name));

        // Every option of train is either one of these or about the data and the outputs, and its name is spelled
        // as the error messages spell it.
        var trainOptions = typeof(TrainSettings).GetProperties()
            .Select(p => (Property: p, Option: p.GetCustomAttribute<CommandOptionAttribute>(inherit: true)))
            .Where(p => p.Option is not null)
            .ToList();
        var aboutDataAndOutputs = trainOptions.Where(p => !p.Property.GetCustomAttributes<SetsOptionAttribute>(inherit: true).Any())
            .Select(p => "--" + p.Option!.LongNames[0]).Order().ToList();
        Assert.Equal(["--bad-images", "--data", "--device", "--fallback-to-cpu", "--group-by", "--group-by-folder", "--limit", "--max-pixels", "--model", "--preset", "--report-dir", "--test-fraction", "--test-limit"],
            aboutDataAndOutputs);
        Assert.Equal("--epochs", OptionNames.CliOptionOf[nameof(GoogLeNetTrainerOptions.Epochs)]);
        Assert.Equal("--schedule", OptionNames.CliOptionOf[nameof(GoogLeNetTrainerOptions.LearningRateSchedule)]);
    }

    /// <summary>Data whose fingerprint the checkpoint does not record: the comparison is of the options alone.</summary>
    private static readonly DataFingerprint SomeData = new(Rows: 10, Labels: "labels", FirstImages: "images");

    [Fact]
    public void A_checkpoint_compares_exactly_the_compared_options_and_each_one_changed_is_a_difference()
    {
        var options = new GoogLeNetTrainerOptions();
        var settings = CheckpointManifest.Settings(options, seed: 1, MixedPrecision.None);
        Assert.Equal(OptionRoles.Compared.Order(), settings.Keys.Order());

        var manifest = Manifest(settings);
        var network = manifest.Network;
        Assert.Empty(manifest.Differences(network, ["a", "b"], settings, SomeData));
        foreach (string name in OptionRoles.Compared.Where(n => n is not (nameof(GoogLeNetTrainerOptions.Seed) or nameof(GoogLeNetTrainerOptions.MixedPrecision))))
        {
            var changed = new GoogLeNetTrainerOptions();
            var property = typeof(GoogLeNetTrainerOptions).GetProperty(name)!;
            property.SetValue(changed, Another(property.PropertyType, property.GetValue(changed)));
            var differences = manifest.Differences(network, ["a", "b"], CheckpointManifest.Settings(changed, 1, MixedPrecision.None), SomeData);
            Assert.Single(differences);
            Assert.StartsWith($"{name} is ", differences[0]);
        }
        Assert.Single(manifest.Differences(network, ["a", "b"], CheckpointManifest.Settings(options, 2, MixedPrecision.None), SomeData));
        Assert.Single(manifest.Differences(network, ["a", "b"], CheckpointManifest.Settings(options, 1, MixedPrecision.BFloat16), SomeData));

        // Speed-only options may differ on resume.
        var faster = new GoogLeNetTrainerOptions { NumberOfThreads = 1, CacheFeatures = false, ChannelsLast = false, PrefetchBatches = 5, ScoringBatchSize = 7, AllowTf32 = false, CudnnAutotune = false, KeepNativeMemory = true };
        Assert.Empty(manifest.Differences(network, ["a", "b"], CheckpointManifest.Settings(faster, 1, MixedPrecision.None), SomeData));
    }

    [Fact]
    public void Presets_lists_every_option_that_changes_what_training_computes()
    {
        var shown = PresetsCommand.Rows.Select(r => r.Option).ToList();
        foreach (var (property, option) in OptionNames.TrainOptions)
        {
            bool computes = OptionRoles.All[property] is OptionRole.Compared or OptionRole.Network or OptionRole.StartOnly
                            && property != nameof(GoogLeNetTrainerOptions.Seed);
            Assert.True(computes == shown.Any(row => row.Split(" / ").Contains(option)), $"{option} ({property}, {OptionRoles.All[property]})");
        }
        var (exit, output) = CliRunner.Run("presets");
        Assert.Equal(0, exit);
        Assert.Matches(@"--nesterov / --no-nesterov\s*│\s*yes\s*│\s*no", output);
        Assert.Matches(@"--schedule\s*│\s*one-cycle\s*│\s*constant", output);
    }

    private static object Another(Type type, object? value) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(int) => value is int i ? i + 1 : 3,
        var t when t == typeof(double) => value is double d ? (d is > 0 and < 0.5 ? d * 2 : d is 0 ? 0.1 : d / 2) : 0.5,
        var t when t == typeof(bool) => !(value is true),
        var t when t.IsEnum => Enum.GetValues(t).Cast<object>().First(v => !v.Equals(value)),
        var t => throw new NotSupportedException($"no other value for {t}"),
    };

    private static CheckpointManifest Manifest(Dictionary<string, string> settings) => new()
    {
        Position = TrainingPosition.Beginning(imagesPerEpoch: null), Reports = [], OptimizerSteps = [],
        Network = new GoogLeNetConfiguration(1, 2, 32, 32), Classes = ["a", "b"], Options = settings,
    };
}
