using MLNet.GoogLeNet.Cli.Jobs;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.GoogLeNet.Cli.Commands;

/// <summary><c>googlenet train</c>: trains and saves a model zip, a metrics JSON and the training curves.</summary>
internal sealed class TrainCommand(IAnsiConsole console) : Command<TrainSettings>
{
    public override int Execute(CommandContext context, TrainSettings settings, CancellationToken cancellationToken)
    {
        new TrainingJob(console).Run(settings.ToJob(), cancellationToken);
        return 0;
    }
}
