using System.Globalization;
using Spectre.Console;

namespace MLNet.GoogLeNet.Cli.Output;

/// <summary>Console tables for evaluation results.</summary>
internal static class Tables
{
    public static void WriteMetrics(IAnsiConsole console, EvaluationReport report)
    {
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"test images: {report.Images}, accuracy (micro) [bold]{report.MicroAccuracy:F4}[/], accuracy (macro) {report.MacroAccuracy:F4}, log-loss {report.LogLoss:F4}"));
        var table = new Table().Title("confusion matrix (rows: actual, columns: predicted)").Border(TableBorder.Rounded);
        table.AddColumn("actual \\ predicted");
        for (int i = 0; i < report.Classes.Count; i++)
            table.AddColumn(new TableColumn(Markup.Escape(Abbreviate(report.Classes[i]))).RightAligned());
        table.AddColumn(new TableColumn("recall").RightAligned());
        for (int a = 0; a < report.Classes.Count; a++)
        {
            var cells = new List<string> { Markup.Escape(report.Classes[a]) };
            for (int p = 0; p < report.Classes.Count; p++)
            {
                string count = report.ConfusionMatrix[a][p].ToString("0", CultureInfo.InvariantCulture);
                cells.Add(a == p ? $"[green]{count}[/]" : count);
            }
            cells.Add(report.Recall[a].ToString("F3", CultureInfo.InvariantCulture));
            table.AddRow(cells.ToArray());
        }
        console.Write(table);
    }

    private static string Abbreviate(string name) => name.Length <= 8 ? name : name[..7] + "…";
}
