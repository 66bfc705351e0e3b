using System.ComponentModel;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Native;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.GoogLeNet.Cli.Commands;

/// <summary><c>googlenet info</c>: the shape trace of the network in the recipe's format and its parameter count.</summary>
internal sealed class InfoCommand(IAnsiConsole console) : Command<InfoCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--channels <N>")]
        [Description("Input channels: 1 (grayscale) or 3 (RGB). Default 1.")]
        public int Channels { get; init; } = 1;

        [CommandOption("--classes <N>")]
        [Description("Number of classes. Default 10.")]
        public int Classes { get; init; } = 10;

        [CommandOption("--image-size <PIXELS>")]
        [Description("Input height and width. Default 96, as in the recipe.")]
        public int ImageSize { get; init; } = 96;

        [CommandOption("--width-divisor <N>")]
        [Description("Divide every channel count by N (1 = the recipe's network). Default 1.")]
        public int WidthDivisor { get; init; } = 1;

        public override ValidationResult Validate()
        {
            try
            {
                ToConfiguration().Validate();
                return ValidationResult.Success();
            }
            catch (ArgumentException e)
            {
                return ValidationResult.Error(e.Message);
            }
        }

        internal GoogLeNetConfiguration ToConfiguration() => new(Channels, Classes, ImageSize, ImageSize, WidthDivisor);
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        TorchRuntime.EnsureLoaded();
        var configuration = settings.ToConfiguration();
        using var network = new GoogLeNetNetwork(configuration);
        console.WriteLine($"GoogLeNet, input (1, {configuration.InputChannels}, {configuration.ImageHeight}, {configuration.ImageWidth}), " +
                          $"{configuration.ClassCount} classes, width divisor {configuration.WidthDivisor}");
        foreach (var (stage, shape) in network.TraceShapes())
            console.WriteLine(GoogLeNetNetwork.FormatTraceLine(stage, shape));
        console.MarkupLine($"parameters: [bold]{network.ParameterCount.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)}[/]");
        return 0;
    }
}
