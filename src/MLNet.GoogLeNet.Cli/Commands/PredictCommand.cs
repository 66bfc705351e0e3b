using System.ComponentModel;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Cli.Output;
using MLNet.GoogLeNet.Data;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.GoogLeNet.Cli.Commands;

/// <summary><c>googlenet predict</c>: the predicted class and best scores of each image file.</summary>
internal sealed class PredictCommand(IAnsiConsole console) : Command<PredictCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<MODEL>")]
        [Description("The model zip.")]
        public string ModelPath { get; init; } = "";

        [CommandArgument(1, "<IMAGES>")]
        [Description("Image files (png, jpg, jpeg, gif, bmp).")]
        public string[] Images { get; init; } = [];

        private const int DefaultTop = 3;

        [CommandOption("--top <N>")]
        [Description("How many of the best classes to show.")]
        [DefaultValue(DefaultTop)]
        public int Top { get; init; } = DefaultTop;

        [CommandOption("--json")]
        [Description("Print one JSON object per image and line instead of the table: the file, the predicted class and every class's probability.")]
        public bool Json { get; init; }

        [CommandOption("--explain <DIR>")]
        [Description("Also write, per image, DIR/<class folder>_<file name>.explain.png (the image, its Grad-CAM heatmap over it, the best classes) and .heatmap.png (the heatmap alone in grey levels, the image's size).")]
        public string? ExplainFolder { get; init; }

        [CommandOption("--max-pixels <N>")]
        [Description(MaxPixelsOption.Help)]
        [DefaultValue(ImageFileCheck.MaximumPixels)]
        public long MaxPixels { get; init; } = ImageFileCheck.MaximumPixels;

        public override ValidationResult Validate()
        {
            if (Top < 1) return ValidationResult.Error("--top must be at least 1");
            if (MaxPixelsOption.FindProblem(MaxPixels) is { } maxPixels) return ValidationResult.Error(maxPixels);
            var missing = Images.Where(i => !File.Exists(i)).ToList();
            if (missing.Count > 0) return ValidationResult.Error($"image file(s) not found: {string.Join(", ", missing)}");
            var clashing = Images.GroupBy(ExplanationImages.BaseName).Where(g => g.Count() > 1).Select(g => string.Join(" and ", g)).ToList();
            return ExplainFolder is not null && clashing.Count > 0
                ? ValidationResult.Error($"--explain names its files <class folder>_<file name>, which would be the same for {string.Join("; ", clashing)}: explain them in separate runs")
                : ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var shapes = CheckImages(settings.Images, settings.MaxPixels);
        var ml = new MLContext();
        var model = ModelFile.Load(ml, settings.ModelPath, out var inputSchema);
        using var loaded = model as IDisposable;  // its ONNX scorer's temporary copy of the network goes with it
        // The zip names the column that takes image file paths (and a zip saved with its label needs no label to score).
        var input = ServingInput.Find(model, inputSchema);
        var scored = input.Model.Transform(Input(ml, input.PathColumn, settings.Images.Select(Path.GetFullPath).ToList()));
        // With --json the output is the JSON lines alone, for scripts that read it.
        if (!settings.Json && ModelInputShape(scored.Schema) is var (channels, height, width) && height == width
            && DecodedImageInfo.DescribeConversion(shapes, height, channels) is { } conversion)
            console.MarkupLine(Markup.Escape(conversion));
        var scores = scored.GetColumn<float[]>(GoogLeNetColumns.Score).ToList();
        var classes = ClassLabels.NamesFromScoreColumn(scored.Schema);
        if (classes.Count == 0)  // a label key without values: number the classes
            classes = Enumerable.Range(0, scores.FirstOrDefault()?.Length ?? 0).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        var labels = scored.GetColumn<string>(GoogLeNetColumns.PredictedLabel).ToList();
        if (settings.ExplainFolder is { } explainFolder)
            Explain(ml, settings, explainFolder);
        if (settings.Json)
        {
            PredictionJson.Write(console.Profile.Out.Writer, settings.Images, labels, scores, classes);
            return 0;
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumns("image", "predicted", "score", $"top {settings.Top}");
        for (int i = 0; i < settings.Images.Length; i++)
        {
            var best = scores[i].Select((s, c) => (Score: s, Class: classes[c])).OrderByDescending(x => x.Score).Take(settings.Top);
            table.AddRow(
                Markup.Escape(settings.Images[i]), $"[bold]{Markup.Escape(labels[i])}[/]",
                scores[i].Max().ToString("F4", CultureInfo.InvariantCulture),
                Markup.Escape(string.Join(", ", best.Select(b => string.Create(CultureInfo.InvariantCulture, $"{b.Class} {b.Score:F3}")))));
        }
        console.Write(table);
        return 0;
    }

    /// <summary>Writes each image's explanation PNGs into <paramref name="folder"/>.</summary>
    private void Explain(MLContext ml, Settings settings, string folder)
    {
        var explanations = ModelFile.Explain(ml, settings.ModelPath, settings.Images, settings.Top);
        for (int i = 0; i < settings.Images.Length; i++)
        {
            string name = ExplanationImages.BaseName(settings.Images[i]);
            ExplanationImages.WriteHeatmap(explanations[i], Path.Combine(folder, name + ExplanationImages.HeatmapSuffix));
            ExplanationImages.WriteExplanation(explanations[i], settings.Images[i], Path.Combine(folder, name + ExplanationImages.ExplainSuffix));
        }
        if (!settings.Json)
            console.MarkupLine($"Grad-CAM explanations of {settings.Images.Length} image(s): [green]{Markup.Escape(folder)}[/]");
    }

    /// <summary>The image files as the zip's input: its path column.</summary>
    private static IDataView Input(MLContext ml, string pathColumn, IReadOnlyList<string> images)
    {
        var paths = SchemaDefinition.Create(typeof(PathRow));
        paths[nameof(PathRow.ImagePath)].ColumnName = pathColumn;
        return ml.Data.LoadFromEnumerable(images.Select(p => new PathRow { ImagePath = p }).ToList(), paths);
    }

    private sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
    }

    /// <summary>
    /// Every file checked as a training folder's files are (<see cref="ImageFolder.CheckFile(string)"/>): the decoders would
    /// score a truncated image's blank rows without complaint. All the unusable files are named at once.
    /// </summary>
    private static List<DecodedImageInfo> CheckImages(IReadOnlyList<string> paths, long maximumPixels)
    {
        var shapes = new List<DecodedImageInfo>();
        var bad = new List<string>();
        foreach (var path in paths)
        {
            var (problem, shape) = ImageFolder.Inspect(path, maximumPixels);
            if (problem is null)
                shapes.Add(shape);
            else
                bad.Add($"  {path}: {problem}");
        }
        return bad.Count == 0
            ? shapes
            : throw new InvalidDataException(
                $"{bad.Count} of {paths.Count} image file(s) cannot be used:{Environment.NewLine}{string.Join(Environment.NewLine, bad)}");
    }

    /// <summary>C, H, W of the pixels the model scores (the feature column ExtractPixels writes), or null if it has none.</summary>
    private static (int Channels, int Height, int Width)? ModelInputShape(DataViewSchema schema) =>
        schema.GetColumnOrNull(GoogLeNetColumns.Features) is { Type: VectorDataViewType { Dimensions: [var c, var h, var w] } } ? (c, h, w) : null;
}
