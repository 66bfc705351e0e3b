using System.ComponentModel;
using Microsoft.ML;
using MLNet.GoogLeNet.Cli.Jobs;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.GoogLeNet.Cli.Commands;

/// <summary><c>googlenet evaluate</c>: metrics and confusion matrix of a model zip on held-out data.</summary>
internal sealed class EvaluateCommand(IAnsiConsole console) : Command<EvaluateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        private const string DefaultModelPath = "googlenet.zip";

        [CommandOption("--model <PATH>")]
        [Description("The model zip.")]
        [DefaultValue(DefaultModelPath)]
        public string ModelPath { get; init; } = DefaultModelPath;

        [CommandOption("--data <DIR>")]
        [Description("Fashion-MNIST IDX folder (its test split is used) or an image folder (all its images, or with --holdout-split the part train held out). Default: " + DebianFashionMnist.Folder)]
        public string DataFolder { get; init; } = DebianFashionMnist.Folder;

        [CommandOption("--limit <N>")]
        [Description("Evaluate only the first N test images. Default: all.")]
        public int? Limit { get; init; }

        [CommandOption("--holdout-split")]
        [Description("Image folders: score only the images train held out from this folder (its split by --test-fraction and --seed), not all of them.")]
        public bool HoldoutSplit { get; init; }

        [CommandOption("--test-fraction <F>")]
        [Description("With --holdout-split: the held-out fraction, as given to train. Default: train's.")]
        public double TestFraction { get; init; } = DataSet.DefaultTestFraction;

        [CommandOption("--seed <N>")]
        [Description("With --holdout-split: the split seed, as given to train. Default: train's.")]
        public int Seed { get; init; } = DataSet.DefaultSeed;

        [CommandOption("--group-by <REGEX>")]
        [Description("With --holdout-split: as given to train. " + GroupingOptions.GroupByHelp)]
        public string? GroupBy { get; init; }

        [CommandOption("--group-by-folder")]
        [Description("With --holdout-split: as given to train. " + GroupingOptions.GroupByFolderHelp)]
        public bool GroupByFolder { get; init; }

        [CommandOption("--max-pixels <N>")]
        [Description(MaxPixelsOption.Help)]
        [DefaultValue(ImageFileCheck.MaximumPixels)]
        public long MaxPixels { get; init; } = ImageFileCheck.MaximumPixels;

        [CommandOption("--report-dir <DIR>")]
        [Description("Where to write evaluation.json, confusion-matrix.png and report.html. Default: the model's folder.")]
        public string? ReportFolder { get; init; }

        public override ValidationResult Validate() =>
            Limit is < 1 ? ValidationResult.Error("--limit must be at least 1")
            : TestFraction is <= 0 or >= 1 ? ValidationResult.Error($"--test-fraction must be between 0 and 1 (got {TestFraction})")
            : (GroupBy is not null || GroupByFolder) && !HoldoutSplit
                ? ValidationResult.Error("--group-by and --group-by-folder choose how --holdout-split finds the images train held out: give --holdout-split too")
            : GroupingOptions.FindProblem(GroupBy, GroupByFolder, DataFolder) is { } grouping ? ValidationResult.Error(grouping)
            : MaxPixelsOption.FindProblem(MaxPixels) is { } maxPixels ? ValidationResult.Error(maxPixels)
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (test, description) = DataSet.LoadTest(settings.DataFolder, settings.Limit, settings.TestFraction, settings.Seed,
            settings.HoldoutSplit, GroupingOptions.Create(settings.GroupBy, settings.GroupByFolder, settings.DataFolder), settings.MaxPixels, console);
        console.MarkupLine(Markup.Escape(description));
        string reports = settings.ReportFolder ?? Path.GetDirectoryName(Path.GetFullPath(settings.ModelPath))!;
        new EvaluationJob(console).Run(settings.ModelPath, test, description, reports);
        return 0;
    }
}
