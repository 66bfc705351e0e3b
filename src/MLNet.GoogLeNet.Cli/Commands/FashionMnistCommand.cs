using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using MLNet.GoogLeNet.Cli.Jobs;
using MLNet.GoogLeNet.Modules;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.GoogLeNet.Cli.Commands;

/// <summary>
/// The main job: GoogLeNet on Fashion-MNIST through the ML.NET pipeline — train, save the model zip, evaluate the
/// saved zip on test images. By default a CPU-sized run (a subset, with the default preset); <c>--full</c> runs the
/// recipe preset on all the data.
/// </summary>
internal sealed class FashionMnistCommand(IAnsiConsole console) : Command<FashionMnistCommand.Settings>
{
    /// <summary>The CPU-sized run (<see cref="QuickRun.FashionMnist"/>); its other training options are the default preset's.</summary>
    internal static QuickRun Quick => QuickRun.FashionMnist;

    public sealed class Settings : DeviceSettings
    {
        [CommandOption("--full")]
        [Description("Run the recipe preset on all 60,000 training and 10,000 test images: the plain network, 5 epochs, batch 128, SGD 0.1, 96×96, Xavier. Meant for a GPU.")]
        public bool Full { get; init; }

        [CommandOption("--data <DIR>")]
        [Description("Folder of the four IDX files. Default: " + DebianFashionMnist.Folder + " (installed when missing, if allowed).")]
        public string DataFolder { get; init; } = DebianFashionMnist.Folder;

        private const string DefaultOutputFolder = "out/fashion-mnist";

        [CommandOption("--output-dir <DIR>")]
        [Description("Where the model zip, metrics JSON and charts go.")]
        [DefaultValue(DefaultOutputFolder)]
        public string OutputFolder { get; init; } = DefaultOutputFolder;

        [CommandOption("--no-install")]
        [Description("Never install the dataset package; only say how.")]
        public bool NoInstall { get; init; }

        [CommandOption("--epochs <N>")]
        [Description("Passes over the training images. Default: the CPU-sized run's (its first line says how many), or with --full the recipe preset's (see googlenet presets).")]
        public int? Epochs { get; init; }

        public override ValidationResult Validate()
        {
            if (base.Validate() is { Successful: false } device)
                return device;
            return BuildOptions().FindProblem() is { } problem ? ValidationResult.Error(OptionNames.Describe(problem)) : ValidationResult.Success();
        }

        /// <summary>The recipe preset with --full, else the default preset for the CPU-sized run; then this command line's changes.</summary>
        internal GoogLeNetTrainerOptions BuildOptions()
        {
            var options = Full ? GoogLeNetTrainerOptions.Recipe() : Quick.TrainerOptions();
            if (Epochs is { } epochs)
                options.Epochs = epochs;
            ApplyTo(options);
            return options;
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        new DatasetInstaller(console).EnsurePresent(settings.DataFolder, allowInstall: !settings.NoInstall);
        string modelPath = Path.Combine(settings.OutputFolder, "model.zip");
        var options = settings.BuildOptions();
        int imageSize = settings.Full ? GoogLeNetConfiguration.RecipeImageSize : Quick.ImageSize;
        string preset = OptionNames.NameOf(OptionNames.Presets, options.Preset);
        if (settings.Full)
        {
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[bold]Full recipe[/] (the [bold]{preset}[/] preset): 60,000 training images, {options.Epochs} epoch(s), batch {options.BatchSize}, ") +
                Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{options.Optimizer} learning rate {options.LearningRate:G4}, {imageSize}×{imageSize}, {options.Initialization}; 10,000 test images.")));
        }
        else
        {
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[bold]CPU-sized run[/] with the [bold]{preset}[/] preset (under ten minutes on two cores): all 60,000 training and 10,000 test images, {options.Epochs} epoch(s) of batch {options.BatchSize}, augmentation {options.Augmentation}, ") +
                $"[bold]resized to {imageSize}×{imageSize}[/] instead of the recipe's {GoogLeNetConfiguration.RecipeImageSize}×{GoogLeNetConfiguration.RecipeImageSize} (a ninth of the arithmetic; the saved model takes {imageSize}×{imageSize} too); " +
                Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"unlike the recipe, the {options.Architecture} network with {options.Optimizer} (peak learning rate {options.LearningRate:G4}, {options.LearningRateSchedule}) and {options.Initialization} initialisation. ")) +
                "Add [bold]--full[/] for the recipe preset (meant for a GPU).");
        }

        var job = new TrainingJobSettings
        {
            DataFolder = settings.DataFolder,
            ModelPath = modelPath,
            ReportFolder = settings.OutputFolder,
            PresetName = preset,
            Options = options,
            ImageSize = imageSize,
            Channels = 1,
            TestFraction = 0.2,  // not used: Fashion-MNIST has its own test split
            GpuDeviceId = settings.GpuDeviceId,
            Seed = settings.Seed,
        };
        var (data, epochs) = new TrainingJob(console).Run(job, cancellationToken);
        var evaluation = new EvaluationJob(console).Run(modelPath, data.Test, data.Description, settings.OutputFolder);
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"done in {clock.Elapsed.TotalMinutes:F1} min: test accuracy [bold]{evaluation.MicroAccuracy:F3}[/] " +
            $"after {epochs.Count} epoch(s) (chance: 0.100); model in {Markup.Escape(modelPath)}"));
        return 0;
    }
}
