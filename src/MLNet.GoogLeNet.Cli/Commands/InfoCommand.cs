using System.ComponentModel;
using System.Globalization;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Modules.Reference;
using MLNet.GoogLeNet.Native;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.GoogLeNet.Cli.Commands;

/// <summary>
/// <c>googlenet info</c>: the shape trace of a network in the recipe's format and its parameter count; with
/// <c>--compare</c>, parameters and multiply-accumulates per image of AlexNet, VGG-11, NiN and every Inception network.
/// </summary>
internal sealed class InfoCommand(IAnsiConsole console) : Command<InfoCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--architecture <NAME>")]
        [Description("googlenet, googlenet-bn, inception-v3, inception-resnet, googlenet-torchvision or inception-v3-torchvision (--list says what each is). Default: the one train builds by default, the default preset's.")]
        public string? Architecture { get; init; }

        [CommandOption("--list")]
        [Description("Instead of a trace: every architecture's name and what it is, one per line.")]
        public bool List { get; init; }

        private const int DefaultChannels = 1;

        [CommandOption("--channels <N>")]
        [Description("Input channels: 1 (grayscale) or 3 (RGB).")]
        [DefaultValue(DefaultChannels)]
        public int Channels { get; init; } = DefaultChannels;

        private const int DefaultClasses = 10;

        [CommandOption("--classes <N>")]
        [Description("Number of classes.")]
        [DefaultValue(DefaultClasses)]
        public int Classes { get; init; } = DefaultClasses;

        [CommandOption("--image-size <PIXELS>")]
        [Description("Input height and width.")]
        [DefaultValue(GoogLeNetConfiguration.RecipeImageSize)]
        public int ImageSize { get; init; } = GoogLeNetConfiguration.RecipeImageSize;

        private const int DefaultWidthDivisor = 1;

        [CommandOption("--width-divisor <N>")]
        [Description("Divide every channel count by N (1 = the recipe's network).")]
        [DefaultValue(DefaultWidthDivisor)]
        public int WidthDivisor { get; init; } = DefaultWidthDivisor;

        [CommandOption("--compare")]
        [Description("Instead of one network's trace: parameters and multiply-accumulates per image of AlexNet, VGG-11, NiN and the Inception networks at --image-size.")]
        public bool Compare { get; init; }

        public override ValidationResult Validate()
        {
            var architecture = NetworkArchitecture.GoogLeNet;
            if (OptionNames.TryParse(OptionNames.Architectures, Architecture, "--architecture", ref architecture) is { } problem)
                return ValidationResult.Error(problem);
            if (ImageSize is < GoogLeNetConfiguration.MinimumImageSize or > GoogLeNetConfiguration.MaximumImageSize)
                return ValidationResult.Error(
                    $"--image-size must be between {GoogLeNetConfiguration.MinimumImageSize} and {GoogLeNetConfiguration.MaximumImageSize} (got {ImageSize})");
            if (Compare && WidthDivisor != 1)
                return ValidationResult.Error("--compare compares the networks at their full width; leave out --width-divisor");
            if (Compare && ImageSize < ReferenceNetworks.MinimumImageSize)
                return ValidationResult.Error(
                    $"--compare needs --image-size of at least {ReferenceNetworks.MinimumImageSize}, the smallest input NiN and AlexNet take (got {ImageSize})");
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

        /// <summary>The architecture asked for, else the one <c>train</c> builds by default.</summary>
        internal NetworkArchitecture ArchitectureValue
        {
            get
            {
                var architecture = new GoogLeNetTrainerOptions().Architecture;
                OptionNames.TryParse(OptionNames.Architectures, Architecture, "--architecture", ref architecture);
                return architecture;
            }
        }

        internal GoogLeNetConfiguration ToConfiguration()
        {
            var architecture = ArchitectureValue;
            return new(Channels, Classes, ImageSize, ImageSize, WidthDivisor, architecture);
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.List)
        {
            foreach (var entry in ArchitectureTable.All)
                console.WriteLine($"{entry.Name}\t{entry.Summary}");
            return 0;
        }
        TorchRuntime.EnsureLoaded();
        var configuration = settings.ToConfiguration();
        if (settings.Compare)
        {
            Compare(configuration);
            return 0;
        }
        using var network = new GoogLeNetNetwork(configuration);
        console.WriteLine($"{ArchitectureTable.Of(configuration.Architecture).Name}, input (1, {configuration.InputChannels}, {configuration.ImageHeight}, {configuration.ImageWidth}), " +
                          $"{configuration.ClassCount} classes, width divisor {configuration.WidthDivisor}");
        foreach (var (stage, shape) in network.TraceShapes())
            console.WriteLine(GoogLeNetNetwork.FormatTraceLine(stage, shape));
        console.MarkupLine($"parameters: [bold]{network.ParameterCount.ToString("N0", CultureInfo.InvariantCulture)}[/]");
        return 0;
    }

    /// <summary>One row per network: its parameters and the multiply-accumulates of scoring one image.</summary>
    private void Compare(GoogLeNetConfiguration configuration)
    {
        var (channels, classes, size) = (configuration.InputChannels, configuration.ClassCount, configuration.ImageHeight);
        var table = new Table().AddColumns("network", "parameters", "MACs per image");
        table.Columns[1].RightAligned();
        table.Columns[2].RightAligned();
        void Add(string name, TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> network)
        {
            var (parameters, macs) = ComplexityCounter.Count(network, channels, size);
            table.AddRow(name, parameters.ToString("N0", CultureInfo.InvariantCulture), macs.ToString("N0", CultureInfo.InvariantCulture));
        }
        foreach (var (name, build) in ReferenceNetworks.All)
        {
            using var network = build(channels, classes, size);
            Add(name, network);
        }
        foreach (var entry in ArchitectureTable.All)
        {
            if (size < entry.MinimumImageSize)
            {
                table.AddRow(entry.Name, "—", $"takes {entry.MinimumImageSize}×{entry.MinimumImageSize} or more");
                continue;
            }
            using var network = new GoogLeNetNetwork(configuration with { Architecture = entry.Architecture });
            Add(entry.Name, network);
        }
        console.WriteLine($"Input {channels}×{size}×{size}, {classes} classes. MACs: multiply-accumulates of the convolutions and dense layers (docs/architectures.md).");
        console.Write(table);
    }
}
