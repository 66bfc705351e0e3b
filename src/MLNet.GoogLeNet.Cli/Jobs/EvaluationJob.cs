using Microsoft.ML;
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
        var model = ModelFile.Load(context, modelPath, out _);
        var scored = model.Transform(data);
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
        // The pipeline maps a label it was not trained on to a missing key, and Evaluate skips rows whose label is missing.
        var metrics = context.MulticlassClassification.Evaluate(scored, labelColumnName: "Label", scoreColumnName: "Score");

        var report = EvaluationReport.From(modelPath, dataDescription, classes, metrics, unseen);
        Tables.WriteMetrics(console, report);
        string jsonPath = Path.Combine(reportFolder, MetricsFile);
        string confusionPath = Path.Combine(reportFolder, ConfusionFile);
        report.Write(jsonPath);
        Charts.WriteConfusionMatrix(report, confusionPath);
        console.MarkupLine($"evaluation: [green]{Markup.Escape(jsonPath)}[/], confusion matrix: [green]{Markup.Escape(confusionPath)}[/]");
        return report;
    }

    /// <summary>The labels of <paramref name="data"/> (its text <c>Label</c> column) that are not among <paramref name="classes"/>,
    /// with their row counts; read without decoding the images.</summary>
    private static SortedDictionary<string, long> UnseenLabels(IDataView data, IReadOnlyList<string> classes, out long rows)
    {
        var known = classes.ToHashSet(StringComparer.Ordinal);
        var unseen = new SortedDictionary<string, long>(StringComparer.Ordinal);
        rows = 0;
        var column = data.Schema["Label"];
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
