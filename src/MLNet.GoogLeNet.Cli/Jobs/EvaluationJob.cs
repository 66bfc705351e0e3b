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
        // Evaluate reads a key-typed label whose keys are the Score slots' classes; a label the model was not trained on
        // becomes a missing key, and Evaluate skips rows whose label is missing.
        if (scored.Schema[LabelColumn].Type is not KeyDataViewType)
            scored = context.Transforms.Conversion.MapValueToKey(LabelColumn, keyData: ClassNames(context, classes)).Fit(scored).Transform(scored);
        var metrics = context.MulticlassClassification.Evaluate(scored, labelColumnName: LabelColumn, scoreColumnName: GoogLeNetColumns.Score);

        var report = EvaluationReport.From(modelPath, dataDescription, classes, metrics, unseen);
        Tables.WriteMetrics(console, report);
        string jsonPath = Path.Combine(reportFolder, MetricsFile);
        string confusionPath = Path.Combine(reportFolder, ConfusionFile);
        report.Write(jsonPath);
        Charts.WriteConfusionMatrix(report, confusionPath);
        console.MarkupLine($"evaluation: [green]{Markup.Escape(jsonPath)}[/], confusion matrix: [green]{Markup.Escape(confusionPath)}[/]");
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

    private sealed class ClassName
    {
        public string Label { get; set; } = "";
    }

    private static IDataView ClassNames(MLContext context, IReadOnlyList<string> classes) =>
        context.Data.LoadFromEnumerable(classes.Select(c => new ClassName { Label = c }).ToArray());

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
