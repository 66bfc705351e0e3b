using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using MLNet.GoogLeNet.Cli.Jobs;
using MLNet.GoogLeNet.Data;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.GoogLeNet.Cli.Commands;

/// <summary>
/// The main job: GoogLeNet on Fashion-MNIST through the ML.NET pipeline — train, save the model zip, evaluate the
/// saved zip on test images. By default a CPU-sized run (five to ten minutes on two cores); <c>--full</c> runs the recipe.
/// </summary>
internal sealed class FashionMnistCommand(IAnsiConsole console) : Command<FashionMnistCommand.Settings>
{
    /// <summary>The default run, sized for five to ten minutes on a 2-core CPU (see docs/recipe.md).</summary>
    internal static readonly QuickRun Quick = new(TrainImages: 7000, TestImages: 1000, Epochs: 3, BatchSize: 64, LearningRate: 0.001);

    /// <summary>
    /// The CPU-sized run trains with Adam and Kaiming initialisation: with the recipe's plain SGD and Xavier weights the
    /// network (no batch normalisation) needs several hundred steps before it learns, and this run has about 330.
    /// </summary>
    internal sealed record QuickRun(int TrainImages, int TestImages, int Epochs, int BatchSize, double LearningRate);

    public sealed class Settings : DeviceSettings
    {
        [CommandOption("--full")]
        [Description("Run the full recipe: all 60,000 training images, 5 epochs, batch 128, SGD 0.1, 96×96, Xavier; 10,000 test images. Meant for a GPU.")]
        public bool Full { get; init; }

        [CommandOption("--data <DIR>")]
        [Description("Folder of the four IDX files. Default: " + FashionMnist.DefaultFolder + " (installed when missing, if allowed).")]
        public string DataFolder { get; init; } = FashionMnist.DefaultFolder;

        [CommandOption("--output-dir <DIR>")]
        [Description("Where the model zip, metrics JSON and charts go. Default out/fashion-mnist.")]
        public string OutputFolder { get; init; } = Path.Combine("out", "fashion-mnist");

        [CommandOption("--no-install")]
        [Description("Never install the dataset package; only say how.")]
        public bool NoInstall { get; init; }

        [CommandOption("--epochs <N>")]
        [Description("Passes over the training images. Default 3, or 5 with --full.")]
        public int? Epochs { get; init; }

        public override ValidationResult Validate() =>
            Epochs is < 1 ? ValidationResult.Error("--epochs must be at least 1") : base.Validate();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        new DatasetInstaller(console).EnsurePresent(settings.DataFolder, allowInstall: !settings.NoInstall);
        string modelPath = Path.Combine(settings.OutputFolder, "model.zip");
        var job = settings.ApplyTo(new TrainingJobSettings
        {
            DataFolder = settings.DataFolder,
            ModelPath = modelPath,
            ReportFolder = settings.OutputFolder,
            ImageSize = 96,
        });
        if (settings.Full)
        {
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[bold]Full recipe[/]: 60,000 training images, {settings.Epochs ?? 5} epoch(s), batch 128, SGD learning rate 0.1, 96×96, Xavier; 10,000 test images."));
            job = job with { Initialization = WeightInitialization.Xavier, Optimizer = OptimizerKind.Sgd, LearningRate = 0.1 };
        }
        else
        {
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[bold]CPU-sized run[/] (five to ten minutes on two cores): a subset of {Quick.TrainImages:N0} training and {Quick.TestImages:N0} test images, {settings.Epochs ?? Quick.Epochs} epoch(s) at 96×96, batch {Quick.BatchSize}; ") +
                string.Create(CultureInfo.InvariantCulture, $"unlike the recipe, Adam (learning rate {Quick.LearningRate}) and Kaiming initialisation, which learn in this few steps. ") +
                "Add [bold]--full[/] for the recipe (meant for a GPU).");
            job = job with
            {
                TrainLimit = Quick.TrainImages, TestLimit = Quick.TestImages, Epochs = Quick.Epochs, BatchSize = Quick.BatchSize,
                Optimizer = OptimizerKind.Adam, LearningRate = Quick.LearningRate, Initialization = WeightInitialization.Kaiming,
            };
        }

        if (settings.Epochs is { } epochCount)
            job = job with { Epochs = epochCount };
        var (data, epochs) = new TrainingJob(console).Run(job, cancellationToken);
        var evaluation = new EvaluationJob(console).Run(modelPath, data.Test, data.Description, settings.OutputFolder);
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"done in {clock.Elapsed.TotalMinutes:F1} min: test accuracy [bold]{evaluation.MicroAccuracy:F3}[/] " +
            $"after {epochs.Count} epoch(s) (chance: 0.100); model in {Markup.Escape(modelPath)}"));
        return 0;
    }
}
