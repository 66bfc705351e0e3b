using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.GoogLeNet.Cli.Commands;

/// <summary>
/// <c>googlenet presets</c>: every preset's training options, read from the options objects themselves (the command
/// line's option descriptions are constants, so they point here for the defaults).
/// </summary>
internal sealed class PresetsCommand(IAnsiConsole console) : Command<EmptyCommandSettings>
{
    /// <summary>The rows of the table: the command-line option and how it shows an options object's value.</summary>
    internal static readonly IReadOnlyList<(string Option, Func<GoogLeNetTrainerOptions, string> Value)> Rows =
    [
        ("--architecture", o => OptionNames.NameOf(OptionNames.Architectures, o.Architecture)),
        ("--epochs", o => Text(o.Epochs)),
        ("--batch-size", o => Text(o.BatchSize)),
        ("--optimizer", o => OptionNames.NameOf(OptionNames.Optimizers, o.Optimizer)),
        ("--learning-rate", o => Text(o.LearningRate)),
        ("--momentum", o => Text(o.Momentum)),
        ("--nesterov", o => o.Nesterov ? "yes" : "no"),
        ("--weight-decay", o => Text(o.WeightDecay)),
        ("--schedule", o => OptionNames.NameOf(OptionNames.Schedules, o.LearningRateSchedule)),
        ("--warmup", o => Text(o.WarmupFraction)),
        ("--label-smoothing", o => Text(o.LabelSmoothing)),
        ("--augment", o => OptionNames.NameOf(OptionNames.Augmentations, o.Augmentation)),
        ("--max-translation", o => Text(o.MaxTranslation)),
        ("--hflip", o => o.HorizontalFlip ? "yes" : "no"),
        ("--early-stopping", o => o.EarlyStoppingPatience is { } p ? Text(p) + " epochs" : "off"),
        ("--clip-grad-norm", o => o.GradientClipNorm is { } c ? Text(c) : "off"),
        ("--init", o => OptionNames.NameOf(OptionNames.Initializations, o.Initialization)),
        ("--width-divisor", o => Text(o.WidthDivisor)),
        ("--mixed-precision", o => o.MixedPrecision == MixedPrecision.None ? "none" : "bf16"),
        ("--no-channels-last", o => o.ChannelsLast ? "(channels-last)" : "(standard layout)"),
    ];

    public override int Execute(CommandContext context, EmptyCommandSettings settings, CancellationToken cancellationToken)
    {
        var table = new Table().AddColumn("option");
        var presets = OptionNames.Presets.ToList();
        foreach (var (name, _) in presets)
            table.AddColumn("--preset " + name);
        var options = presets.Select(p => new GoogLeNetTrainerOptions(p.Value)).ToList();
        foreach (var (option, value) in Rows)
            table.AddRow([option, .. options.Select(o => Markup.Escape(value(o)))]);
        console.Write(table);
        console.WriteLine("train starts from the preset named by --preset (default: default) and changes only the options given.");
        return 0;
    }

    private static string Text(IFormattable value) => value.ToString(null, CultureInfo.InvariantCulture);
}
