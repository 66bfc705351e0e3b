using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Microsoft.ML.Transforms.Onnx;
using MLNet.GoogLeNet.Cli.Output;
using Spectre.Console;

namespace MLNet.GoogLeNet.Cli.Jobs;

/// <summary>Scores held-out data with a saved model zip (ONNX Runtime), prints the metrics and confusion matrix, and writes them.</summary>
internal sealed class EvaluationJob(IAnsiConsole console)
{
    public const string MetricsFile = "evaluation.json";
    public const string ConfusionFile = "confusion-matrix.png";

    public EvaluationReport Run(string modelPath, IDataView data, string dataDescription, string reportFolder)
    {
        var context = new MLContext();
        // The test rows come from a data view ML.NET reads on parallel cursors (one per core, at least two), so several
        // rows are scored at once: one ONNX Runtime thread per row then beats rows sharing one session's thread pool
        // (docs/performance.md has the measurements).
        context.SetOnnxSessionOption(new OnnxSessionOptions { IntraOpNumThreads = 1 });
        var model = ModelFile.Load(context, modelPath, out var inputSchema);
        using var loaded = model as IDisposable;  // its ONNX scorer's temporary copy of the network goes with it
        var scored = Score(context, model, inputSchema, data);
        var classes = ClassLabels.NamesFromScoreColumn(scored.Schema);
        var unseen = UnseenLabels(data, classes, out long rows);
        long unseenRows = unseen.Values.Sum();
        if (unseenRows == rows)
            throw new InvalidDataException(
                $"None of the {rows:N0} test images has a label the model was trained on: the data's labels are " +
                $"{string.Join(", ", unseen.Keys)}; the model's classes are {string.Join(", ", classes)}.");
        if (unseenRows > 0)
            console.MarkupLine("[yellow]note:[/] " + Markup.Escape(
                $"{unseenRows:N0} of {rows:N0} test images have labels the model was not trained on " +
                $"({string.Join(", ", unseen.Select(u => $"{u.Key}: {u.Value:N0}"))}); they are left out of the metrics."));
        string? pathColumn = PathColumn(data);
        var progress = new EvaluationProgress(console, rows);
        var images = progress.Run(() => ScoredImages.Read(scored, LabelColumn, pathColumn, classes, progress));
        var metrics = ScoredImages.Metrics(context, images, classes);

        var report = EvaluationReport.From(modelPath, dataDescription, classes, metrics, unseen);
        Tables.WriteMetrics(console, report);
        string jsonPath = Path.Combine(reportFolder, MetricsFile);
        string confusionPath = Path.Combine(reportFolder, ConfusionFile);
        report.Write(jsonPath);
        Charts.WriteConfusionMatrix(report, confusionPath);
        string htmlPath = Path.Combine(reportFolder, HtmlReport.FileName);
        WriteHtml(context, modelPath, data, report, images, pathColumn, confusionPath, htmlPath);
        console.MarkupLine($"evaluation: [green]{Markup.Escape(jsonPath)}[/], confusion matrix: [green]{Markup.Escape(confusionPath)}[/], " +
                           $"report: [green]{Markup.Escape(htmlPath)}[/]");
        return report;
    }

    /// <summary>The label column of the data sets (image folders and IDX files alike).</summary>
    private const string LabelColumn = GoogLeNetColumns.Label;

    /// <summary>
    /// Scores <paramref name="data"/> (image paths, or in-memory images from IDX files) with a zip that takes image files,
    /// or, when the zip takes no image paths (a pipeline saved with ML.NET's own <c>Model.Save</c> from in-memory
    /// images), with the zip as it is, which reads the columns the data has.
    /// </summary>
    private static IDataView Score(MLContext context, ITransformer model, DataViewSchema inputSchema, IDataView data)
    {
        ServingInput input;
        try
        {
            input = ServingInput.Find(model, inputSchema);
        }
        catch (InvalidDataException)
        {
            return model.Transform(data);
        }
        var images = data.Schema.FirstOrDefault(c => c.Type is ImageDataViewType);
        if (images.Name is null)
        {
            var paths = data.Schema.Single(c => c.Type is TextDataViewType && c.Name != LabelColumn);
            return input.Model.Transform(Renamed(context, data, paths.Name, input.PathColumn));
        }
        var fromImages = input.FromImages(out string imageColumn);
        return fromImages.Transform(Renamed(context, data, images.Name, imageColumn));
    }

    private static IDataView Renamed(MLContext context, IDataView data, string from, string to) =>
        from == to ? data : context.Transforms.CopyColumns(to, from).Fit(data).Transform(data);

    /// <summary>The data's column of image file paths (a text column other than the label), or null when it holds the images.</summary>
    private static string? PathColumn(IDataView data) =>
        data.Schema.Any(c => c.Type is ImageDataViewType) ? null
        : data.Schema.FirstOrDefault(c => c.Type is TextDataViewType && c.Name != LabelColumn).Name;

    /// <summary>
    /// Writes <c>report.html</c>: the images it shows as thumbnails, read from their files or, for images held in memory,
    /// from the data again (without scoring); the top losses with Grad-CAM heatmaps when the images are files.
    /// </summary>
    private void WriteHtml(MLContext context, string modelPath, IDataView data, EvaluationReport report, IReadOnlyList<ScoredImage> images,
        string? pathColumn, string confusionPath, string htmlPath)
    {
        var selection = new ReportSelection(images, report.Classes.Count);
        var thumbnails = pathColumn is null ? InMemoryThumbnails(data, selection.Shown.Select(i => i.Row).ToHashSet()) : null;
        var cache = new Dictionary<long, string>();
        string Thumbnail(ScoredImage image)
        {
            if (!cache.TryGetValue(image.Row, out var uri))
                cache[image.Row] = uri = image.Path is { } file ? Thumbnails.FromFile(file) : thumbnails![image.Row];
            return uri;
        }
        var charts = new List<(string, string)>();
        string curves = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, TrainingJob.CurvesFile);
        if (File.Exists(curves))
            charts.Add(("training curves", Thumbnails.PngFile(curves)));
        charts.Add(("confusion matrix", Thumbnails.PngFile(confusionPath)));
        HtmlReport.Write(htmlPath, report, selection, Thumbnail, charts, TopLossHeatmaps(context, modelPath, selection.TopLosses));
    }

    /// <summary>Grad-CAM overlays of the top losses that are files, by row; none when the zip cannot be explained, with a note saying why.</summary>
    private Dictionary<long, string> TopLossHeatmaps(MLContext context, string modelPath, IReadOnlyList<ScoredImage> topLosses)
    {
        var files = topLosses.Where(i => i.Path is not null).ToList();
        if (files.Count == 0)
            return [];
        try
        {
            var explanations = ModelFile.Explain(context, modelPath, files.Select(i => i.Path!).ToList());
            return files.Select((image, i) => (image.Row, Uri: ExplanationImages.OverlayDataUri(explanations[i], image.Path!)))
                .ToDictionary(x => x.Row, x => x.Uri);
        }
        catch (InvalidDataException e)
        {
            console.MarkupLine("[yellow]note:[/] " + Markup.Escape($"the report's top losses have no heatmaps: {e.Message}"));
            return [];
        }
    }

    /// <summary>Thumbnails of the in-memory images of <paramref name="rows"/>, read from the data's image column.</summary>
    private static Dictionary<long, string> InMemoryThumbnails(IDataView data, HashSet<long> rows)
    {
        var column = data.Schema.First(c => c.Type is ImageDataViewType);
        var result = new Dictionary<long, string>();
        using var cursor = data.GetRowCursor([column]);
        var getter = cursor.GetGetter<MLImage>(column);
        var id = cursor.GetIdGetter();
        MLImage image = null!;
        DataViewRowId rowId = default;
        while (cursor.MoveNext() && result.Count < rows.Count)
        {
            id(ref rowId);
            if (!rows.Contains((long)rowId.Low))
                continue;
            getter(ref image);
            result[(long)rowId.Low] = Thumbnails.FromImage(image);
        }
        return result;
    }

    /// <summary>The labels of <paramref name="data"/> (its text <c>Label</c> column) that are not among <paramref name="classes"/>,
    /// with their row counts; read without decoding the images.</summary>
    private static SortedDictionary<string, long> UnseenLabels(IDataView data, IReadOnlyList<string> classes, out long rows)
    {
        var known = classes.ToHashSet(StringComparer.Ordinal);
        var unseen = new SortedDictionary<string, long>(StringComparer.Ordinal);
        rows = 0;
        var column = data.Schema[LabelColumn];
        using var cursor = data.GetRowCursor([column]);
        var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        ReadOnlyMemory<char> value = default;
        while (cursor.MoveNext())
        {
            rows++;
            getter(ref value);
            string label = value.ToString();
            if (!known.Contains(label))
                unseen[label] = unseen.GetValueOrDefault(label) + 1;
        }
        return unseen;
    }
}
