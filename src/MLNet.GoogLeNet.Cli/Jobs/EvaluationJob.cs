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
        // The pipeline ends in MapKeyToValue; Evaluate reads the key-typed label and the scores.
        var metrics = context.MulticlassClassification.Evaluate(scored, labelColumnName: "Label", scoreColumnName: "Score");
        var classes = ClassLabels.NamesFromScoreColumn(scored.Schema);

        var report = EvaluationReport.From(modelPath, dataDescription, classes, metrics);
        Tables.WriteMetrics(console, report);
        string jsonPath = Path.Combine(reportFolder, MetricsFile);
        string confusionPath = Path.Combine(reportFolder, ConfusionFile);
        report.Write(jsonPath);
        Charts.WriteConfusionMatrix(report, confusionPath);
        console.MarkupLine($"evaluation: [green]{Markup.Escape(jsonPath)}[/], confusion matrix: [green]{Markup.Escape(confusionPath)}[/]");
        return report;
    }
}
