using MLNet.GoogLeNet.Cli.Commands;
using MLNet.GoogLeNet.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.GoogLeNet.Cli;

/// <summary>The <c>googlenet</c> command line: train, evaluate, predict, export, presets, info, doctor, and the Fashion-MNIST main job.</summary>
public static class CliApplication
{
    /// <summary>Runs one command line and returns its exit code (0 success, 1 failure, 2 usage error).</summary>
    /// <param name="args">The arguments, as on the command line.</param>
    /// <param name="console">Where output goes; the process's console by default.</param>
    public static int Run(string[] args, IAnsiConsole? console = null)
    {
        console ??= ProcessConsole(AsksForHelp(args));
        var app = new CommandApp(new ConsoleRegistrar(console));
        app.Configure(config =>
        {
            config.SetApplicationName("googlenet");
            config.ConfigureConsole(console);
            // An option no command has (a typo such as --epocs) is an error naming it, not silently ignored.
            config.UseStrictParsing();
            config.SetExceptionHandler((exception, _) => ErrorReporter.Report(console, exception, args));
            config.AddCommand<FashionMnistCommand>("fashion-mnist")
                .WithDescription("Main job: train GoogLeNet on Fashion-MNIST through the ML.NET pipeline, evaluate it and save the model zip.");
            config.AddCommand<TrainCommand>("train")
                .WithDescription("Train on Fashion-MNIST IDX files or an image folder (one sub-folder per class); save a model zip.");
            config.AddCommand<EvaluateCommand>("evaluate")
                .WithDescription("Evaluate a model zip: accuracy, log-loss and confusion matrix.");
            config.AddCommand<PredictCommand>("predict")
                .WithDescription("Classify image files with a model zip.");
            config.AddCommand<ExportCommand>("export")
                .WithDescription("Export a model zip's network: standalone ONNX, a Triton model repository, PyTorch state_dict or safetensors weights.");
            config.AddCommand<PresetsCommand>("presets")
                .WithDescription("Print every training preset's options (the defaults of train's options).");
            config.AddCommand<InfoCommand>("info")
                .WithDescription("Print the network's shape trace and parameter count.");
            config.AddCommand<DoctorCommand>("doctor")
                .WithDescription("Check this machine: CPU, native libraries, oneDNN's instruction set, and the library's convolutions against float64.");
        });
        return app.Run(args);
    }

    /// <summary>Columns the output is laid out for when it goes to a file or a pipe.</summary>
    private const int RedirectedWidth = 1000;

    /// <summary>Columns help is laid out for when it goes to a file or a pipe: it pads its columns to the width.</summary>
    private const int RedirectedHelpWidth = 100;

    /// <summary>
    /// The process's console. When the output is not a terminal Spectre cannot ask for a width and assumes 80 columns,
    /// which wraps long lines and squeezes the confusion matrix until class names break over several lines. A file
    /// has no width, so it gets the tables at their natural width and each message on one line; help, whose table
    /// is padded to the width, gets <see cref="RedirectedHelpWidth"/> columns.
    /// </summary>
    private static IAnsiConsole ProcessConsole(bool help)
    {
        var console = AnsiConsole.Console;
        if (Console.IsOutputRedirected)
            console.Profile.Width = help ? RedirectedHelpWidth : RedirectedWidth;
        return console;
    }

    /// <summary>Whether the command line asks for help: nothing, or -h, --help or -? anywhere.</summary>
    private static bool AsksForHelp(string[] args) => args.Length == 0 || args.Any(a => a is "-h" or "--help" or "-?");
}
