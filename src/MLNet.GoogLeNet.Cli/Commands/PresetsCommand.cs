using MLNet.GoogLeNet.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.GoogLeNet.Cli.Commands;

/// <summary>
/// <c>googlenet presets</c>: every preset's training options, read from the options objects themselves (the command
/// line's option descriptions are constants, so they point here for the defaults).
/// </summary>
internal sealed class PresetsCommand(IAnsiConsole console) : Command<EmptyCommandSettings>
{
    /// <summary>
    /// The rows of the table: every option of <c>googlenet train</c> that changes what training computes
    /// (<see cref="OptionRoles"/>: compared on resume, part of the network, or the starting weights), with the value an
    /// options object gives it. Speed and bookkeeping options are left out, and so is the seed, which belongs to the run
    /// (the command line's --seed, or the MLContext's), not to a preset.
    /// </summary>
    internal static readonly IReadOnlyList<(string Option, Func<GoogLeNetTrainerOptions, string> Value)> Rows =
    [
        .. from option in OptionNames.TrainOptions.GroupBy(o => o.Property)
           where OptionRoles.All[option.Key] is OptionRole.Compared or OptionRole.Network or OptionRole.StartOnly
                 && option.Key != nameof(GoogLeNetTrainerOptions.Seed)
           let property = typeof(GoogLeNetTrainerOptions).GetProperty(option.Key)!
           select (string.Join(" / ", option.Select(o => o.Option).Distinct()),
                   (Func<GoogLeNetTrainerOptions, string>)(o => OptionNames.Show(property.GetValue(o)))) into row
           group row by row.Item1 into sameOption  // --image-size sets both ImageHeight and ImageWidth: one row
           select sameOption.First(),
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
        console.WriteLine("—: the preset leaves it unset (no early stopping or clipping; image size and channels from the data; new weights).");
        console.WriteLine("train starts from the preset named by --preset (default: default) and changes only the options given.");
        return 0;
    }

}
