using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Tests.TestData;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace MLNet.GoogLeNet.Tests.Interpretation;

/// <summary><c>googlenet evaluate</c>'s report.html: its top losses against losses computed here, and the page in a browser.</summary>
[Collection(TrainedCornerModel.Collection)]
public sealed class EvaluationReportTests(TrainedCornerModel model)
{
    /// <summary>Top losses the report lists (ReportSelection.TopLossCount).</summary>
    private const int TopLosses = 16;

    private (string Html, JsonDocument Evaluation, string Output) Evaluate()
    {
        string folder = model.NewFolder("report");
        var (exit, output) = CliRunner.Run("evaluate", "--model", model.ModelPath, "--data", model.Test.Root, "--report-dir", folder);
        Assert.True(exit == 0, output);
        return (Path.Combine(folder, "report.html"), JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "evaluation.json"))), output);
    }

    [Fact]
    public void Top_losses_are_the_test_images_with_the_highest_loss_computed_from_the_zip()
    {
        var (html, evaluation, output) = Evaluate();
        using var document = evaluation;
        Assert.Contains("report: ", output);
        Assert.Matches(@"scored \d+/36 images", output);  // progress, a line a tenth when not on a terminal

        // Each image's loss, −log p(actual class), from the saved zip through ML.NET, independently of the report.
        var context = new MLContext();
        var zip = ModelFile.Load(context, model.ModelPath, out _);
        using var zipChain = (IDisposable)zip;  // the loaded chain deletes its temporary copy of the network when disposed
        var rows = model.Test.Images.Select(i => new ImageFile { ImagePath = i.ImagePath, Label = i.Label }).ToList();
        var scored = zip.Transform(context.Data.LoadFromEnumerable(rows));
        var classes = ClassLabels.NamesFromScoreColumn(scored.Schema);
        var scores = scored.GetColumn<float[]>("Score").ToList();
        var expected = rows.Select((row, i) => (row.ImagePath, Loss: -Math.Log(Math.Max(scores[i][classes.ToList().IndexOf(row.Label)], 1e-15))))
            .OrderByDescending(x => x.Loss).Take(TopLosses).ToList();

        string text = File.ReadAllText(html);
        string topLosses = Regex.Match(text, "<div id=\"top-losses\">(.*?)</div>", RegexOptions.Singleline).Groups[1].Value;
        var listed = Regex.Matches(topLosses, "data-file=\"([^\"]+)\" data-loss=\"([^\"]+)\"")
            .Select(m => (File: System.Net.WebUtility.HtmlDecode(m.Groups[1].Value), Loss: double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
        Assert.Equal(expected.Select(e => e.ImagePath), listed.Select(l => l.File));
        for (int i = 0; i < expected.Count; i++)
            Assert.Equal(expected[i].Loss, listed[i].Loss, 1e-3);
        // Self-contained: nothing loaded from anywhere else.
        Assert.DoesNotMatch("(src|href)=\"(?!data:|#)", text);
        Assert.DoesNotContain("<script", text);
    }

    [ChromiumFact]
    public void The_report_opens_in_a_browser_without_errors_and_shows_the_counts()
    {
        var (html, evaluation, _) = Evaluate();
        using var document = evaluation;
        var options = new ChromeOptions { BinaryLocation = ChromiumFactAttribute.Browser };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu");
        options.SetLoggingPreference(LogType.Browser, LogLevel.All);
        using var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(ChromiumFactAttribute.Driver)!,
            Path.GetFileName(ChromiumFactAttribute.Driver));
        service.HideCommandPromptWindow = true;
        using var browser = new ChromeDriver(service, options, TimeSpan.FromMinutes(1));
        browser.Navigate().GoToUrl(new Uri(html).AbsoluteUri);

        Assert.Equal("GoogLeNet evaluation", browser.Title);
        var root = evaluation.RootElement;
        Assert.Equal(root.GetProperty("images").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
            browser.FindElement(By.Id("images")).Text);
        // The matrix's cells are evaluation.json's counts, row by row.
        var expected = root.GetProperty("confusionMatrix").GetProperty("counts").EnumerateArray()
            .SelectMany(r => r.EnumerateArray()).Select(c => ((long)c.GetDouble()).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var cells = browser.FindElements(By.CssSelector("#confusion-matrix td.count")).Select(c => c.Text).ToList();
        Assert.Equal(expected, cells);
        Assert.Equal(TopLosses, browser.FindElements(By.CssSelector("#top-losses figure")).Count);
        // Each non-empty cell's link leads to a section listing its images.
        foreach (var link in browser.FindElements(By.CssSelector("#confusion-matrix td.count a")))
        {
            string target = link.GetAttribute("href")!.Split('#')[1];
            var section = browser.FindElement(By.Id(target));
            int shown = section.FindElements(By.TagName("figure")).Count;
            Assert.Equal(Math.Min(8, int.Parse(link.Text, System.Globalization.CultureInfo.InvariantCulture)), shown);
        }
        // Every image decoded, and the browser logged no error.
        var broken = (long)((IJavaScriptExecutor)browser).ExecuteScript(
            "return Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).length;")!;
        Assert.Equal(0, broken);
        var errors = browser.Manage().Logs.GetLog(LogType.Browser).Where(e => e.Level >= LogLevel.Warning).Select(e => e.Message).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
