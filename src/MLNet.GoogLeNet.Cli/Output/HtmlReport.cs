using System.Globalization;
using System.Net;
using System.Text;
using MLNet.GoogLeNet.Cli.Jobs;
using MLNet.GoogLeNet.IO;

namespace MLNet.GoogLeNet.Cli.Output;

/// <summary>
/// <c>report.html</c>: one self-contained page (images as <c>data:</c> URIs, its style inline, no script) with the
/// metrics, the charts, the confusion matrix whose cells link to their images, the top losses, the most confused pairs
/// and a gallery of right and wrong images per class. <see cref="ReportSelection"/> picks the images, so that its size
/// is bounded whatever the size of the test set.
/// </summary>
internal static class HtmlReport
{
    public const string FileName = "report.html";

    private const string Style = """
        body { font-family: sans-serif; margin: 1.5em; color: #222; }
        table { border-collapse: collapse; margin: 0.5em 0; }
        th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: right; }
        th { background: #f3f3f3; }
        td.diagonal { background: #e3f1e3; }
        figure { display: inline-block; margin: 0.3em; padding: 0.3em; border: 1px solid #ddd; vertical-align: top; width: 12em; }
        figure img { image-rendering: pixelated; width: 96px; height: auto; }
        figcaption { font-size: 0.8em; }
        .wrong { color: #b00; }
        """;

    public static void Write(string path, EvaluationReport report, ReportSelection selection, Func<ScoredImage, string> thumbnail,
        IReadOnlyList<(string Title, string DataUri)> charts, IReadOnlyDictionary<long, string> heatmaps)
    {
        var classes = report.Classes;
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>GoogLeNet evaluation</title>\n<style>\n")
            .Append(Style).Append("</style>\n</head>\n<body>\n");
        html.Append("<h1>Evaluation of ").Append(E(report.Model)).Append("</h1>\n");
        html.Append("<p id=\"data\">").Append(E(report.Data)).Append("</p>\n");
        html.Append("<table id=\"metrics\">\n")
            .Append(Row("test images", report.Images.ToString(CultureInfo.InvariantCulture), "images"))
            .Append(Row("accuracy (micro)", F(report.MicroAccuracy), "micro-accuracy"))
            .Append(Row("accuracy (macro)", F(report.MacroAccuracy), "macro-accuracy"))
            .Append(Row("log-loss", F(report.LogLoss), "log-loss"))
            .Append("</table>\n");
        if (report.UnseenLabels.Count > 0)
            html.Append("<p>Left out of the metrics, labels the model was not trained on: ")
                .Append(E(string.Join(", ", report.UnseenLabels.Select(u => $"{u.Key} ({u.Value})")))).Append(".</p>\n");

        if (charts.Count > 0)
        {
            html.Append("<h2>Charts</h2>\n");
            foreach (var (title, uri) in charts)
                html.Append("<img class=\"chart\" alt=\"").Append(E(title)).Append("\" src=\"").Append(uri).Append("\" style=\"max-width: 100%\">\n");
        }

        html.Append("<h2>Confusion matrix</h2>\n<p>Rows: actual class; columns: predicted class. Each count links to its images.</p>\n");
        html.Append("<table id=\"confusion-matrix\">\n<tr><th>actual \\ predicted</th>");
        foreach (var c in classes) html.Append("<th>").Append(E(c)).Append("</th>");
        html.Append("<th>recall</th></tr>\n");
        for (int a = 0; a < classes.Count; a++)
        {
            html.Append("<tr><th><a href=\"#class-").Append(a).Append("\">").Append(E(classes[a])).Append("</a></th>");
            for (int p = 0; p < classes.Count; p++)
            {
                long count = selection.Counts[a, p];
                html.Append("<td class=\"count").Append(a == p ? " diagonal" : "").Append("\">");
                html.Append(count == 0 ? "0" : $"<a href=\"#cell-{a}-{p}\">{count}</a>");
                html.Append("</td>");
            }
            html.Append("<td>").Append(F(report.Recall[a])).Append("</td></tr>\n");
        }
        html.Append("</table>\n");

        html.Append("<h2>Top losses</h2>\n<p>The images with the highest loss, −log p(true class): the most confidently wrong.</p>\n<div id=\"top-losses\">\n");
        foreach (var image in selection.TopLosses)
            Figure(html, image, classes, thumbnail, heatmaps.GetValueOrDefault(image.Row));
        html.Append("</div>\n");

        html.Append("<h2>Most confused pairs</h2>\n<table id=\"confused-pairs\">\n<tr><th>actual</th><th>predicted</th><th>images</th></tr>\n");
        foreach (var (a, p, count) in selection.Pairs)
            html.Append("<tr><td>").Append(E(classes[a])).Append("</td><td>").Append(E(classes[p]))
                .Append("</td><td><a href=\"#cell-").Append(a).Append('-').Append(p).Append("\">").Append(count).Append("</a></td></tr>\n");
        html.Append("</table>\n");

        html.Append("<h2>Classes</h2>\n");
        for (int c = 0; c < classes.Count; c++)
        {
            html.Append("<section id=\"class-").Append(c).Append("\">\n<h3>").Append(E(classes[c])).Append("</h3>\n");
            html.Append("<h4>Right, most confident first</h4>\n<div class=\"right\">\n");
            foreach (var image in selection.Right[c]) Figure(html, image, classes, thumbnail, null);
            html.Append("</div>\n<h4>Wrong, highest loss first</h4>\n<div class=\"wrong-images\">\n");
            foreach (var image in selection.Wrong[c]) Figure(html, image, classes, thumbnail, null);
            html.Append("</div>\n</section>\n");
        }

        html.Append("<h2>Images of each cell</h2>\n");
        foreach (var ((a, p), images) in selection.Cells.OrderBy(c => c.Key.Actual).ThenBy(c => c.Key.Predicted))
        {
            long count = selection.Counts[a, p];
            html.Append("<section class=\"cell\" id=\"cell-").Append(a).Append('-').Append(p).Append("\">\n<h3>actual ").Append(E(classes[a]))
                .Append(", predicted ").Append(E(classes[p])).Append(": ").Append(images.Count).Append(" of ").Append(count)
                .Append(" image(s), highest loss first</h3>\n");
            foreach (var image in images) Figure(html, image, classes, thumbnail, null);
            html.Append("</section>\n");
        }
        html.Append("</body>\n</html>\n");
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
            writer.Write(html.ToString());
        });
    }

    private static void Figure(StringBuilder html, ScoredImage image, IReadOnlyList<string> classes, Func<ScoredImage, string> thumbnail,
        string? heatmap)
    {
        bool wrong = image.Predicted != image.TrueClass;
        string name = image.Path is null ? $"row {image.Row}" : Path.GetFileName(image.Path);
        html.Append("<figure class=\"image\" data-row=\"").Append(image.Row).Append('"');
        if (image.Path is not null) html.Append(" data-file=\"").Append(E(image.Path)).Append('"');
        html.Append(" data-loss=\"").Append(image.Loss.ToString("R", CultureInfo.InvariantCulture)).Append("\">");
        html.Append("<img alt=\"").Append(E(name)).Append("\" src=\"").Append(thumbnail(image)).Append("\">");
        if (heatmap is not null)
            html.Append("<img class=\"heatmap\" alt=\"Grad-CAM of ").Append(E(name)).Append("\" src=\"").Append(heatmap).Append("\">");
        html.Append("<figcaption>").Append(E(name)).Append("<br>actual ").Append(E(classes[image.TrueClass]))
            .Append("<br><span").Append(wrong ? " class=\"wrong\"" : "").Append(">predicted ").Append(E(classes[image.Predicted]))
            .Append(' ').Append(F(image.Score[image.Predicted])).Append("</span><br>p(actual) ").Append(F(image.Score[image.TrueClass]))
            .Append(", loss ").Append(image.Loss.ToString("F3", CultureInfo.InvariantCulture)).Append("</figcaption></figure>\n");
    }

    private static string Row(string name, string value, string id) => $"<tr><th>{E(name)}</th><td id=\"{id}\">{E(value)}</td></tr>\n";

    private static string F(double value) => value.ToString("F4", CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
