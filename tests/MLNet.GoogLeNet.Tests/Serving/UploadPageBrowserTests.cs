using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Tests.TestData;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace MLNet.GoogLeNet.Tests.Serving;

/// <summary>The web API's upload page in a real browser: choose an image, send it, read the answer off the page.</summary>
[Collection(TrainedPatternModel.Collection)]
public sealed class UploadPageBrowserTests(TrainedPatternModel fixture)
{
    private static ChromeDriver StartBrowser()
    {
        var options = new ChromeOptions { BinaryLocation = ChromiumFactAttribute.Browser };
        // --no-sandbox: chromium's sandbox refuses to start as root (CI containers).
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(ChromiumFactAttribute.Driver)!,
            Path.GetFileName(ChromiumFactAttribute.Driver));
        service.HideCommandPromptWindow = true;
        return new ChromeDriver(service, options, TimeSpan.FromMinutes(1));
    }

    [ChromiumFact]
    public void Uploading_an_image_shows_the_models_answer()
    {
        using var host = new WebApiHost(fixture, kestrel: true);
        using var browser = StartBrowser();

        var scored = fixture.Model.Transform(fixture.TestData);
        var labels = scored.GetColumn<string>("PredictedLabel").ToList();
        var scores = scored.GetColumn<float[]>("Score").ToList();
        var wait = new WebDriverWait(browser, TimeSpan.FromSeconds(30));
        browser.Navigate().GoToUrl(host.Address);
        Assert.Equal("GoogLeNet image classifier", browser.Title);
        // The first image of each class.
        foreach (int i in fixture.Images.Test.Select((row, index) => (row, index)).GroupBy(x => x.row.Label).Select(g => g.First().index))
        {
            browser.FindElement(By.Id("image")).SendKeys(fixture.Images.Test[i].ImagePath);
            browser.FindElement(By.Id("send")).Click();
            // Sending replaces the previous answer with "Classifying…" at once; wait for the new one.
            var score = wait.Until(b => b.FindElements(By.Id("score")).FirstOrDefault());
            Assert.Equal(scores[i].Max(), float.Parse(score.Text, CultureInfo.InvariantCulture), 1e-4);
            Assert.Equal(labels[i], browser.FindElement(By.Id("label")).Text);
        }

        // A file that is not an image: the page shows the service's message.
        string notes = Path.Combine(Path.GetTempPath(), $"googlenet-notes-{Guid.NewGuid():N}.txt");
        File.WriteAllText(notes, "not an image");
        try
        {
            browser.FindElement(By.Id("image")).SendKeys(notes);
            browser.FindElement(By.Id("send")).Click();
            wait.Until(b => b.FindElement(By.Id("answer")).Text.Contains("not an image", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(notes);
        }
    }

    [ChromiumFact]
    public void The_page_shows_the_heatmap_beside_the_answer_or_why_there_is_none()
    {
        var image = fixture.Images.Test[0].ImagePath;
        using var decoded = SkiaSharp.SKBitmap.Decode(image);
        using var browser = StartBrowser();
        var wait = new WebDriverWait(browser, TimeSpan.FromSeconds(60));
        using (var host = new WebApiHost(fixture, kestrel: true))
        {
            browser.Navigate().GoToUrl(host.Address);
            browser.FindElement(By.Id("image")).SendKeys(image);
            browser.FindElement(By.Id("send")).Click();
            var heatmap = wait.Until(b => b.FindElements(By.Id("heatmap")).FirstOrDefault());
            // The browser decoded the PNG: its own size is the uploaded image's (the page enlarges it with CSS).
            var (complete, width, height) = wait.Until(_ =>
            {
                var state = (IReadOnlyCollection<object>)browser.ExecuteScript(
                    "const i = arguments[0]; return [i.complete, i.naturalWidth, i.naturalHeight];", heatmap)!;
                var values = state.ToArray();
                return (bool)values[0] ? Tuple.Create(true, Convert.ToInt32(values[1], CultureInfo.InvariantCulture), Convert.ToInt32(values[2], CultureInfo.InvariantCulture)) : null;
            });
            Assert.True(complete);
            Assert.Equal((decoded.Width, decoded.Height), (width, height));
            var label = browser.FindElement(By.Id("label")).Text;
            Assert.Equal($"Grad-CAM for {label} (white: strongest evidence)", browser.FindElement(By.TagName("figcaption")).Text);
        }
        using (var host = new WebApiHost(fixture, kestrel: true, settings: new Dictionary<string, string> { ["Explain"] = "false" }))
        {
            browser.Navigate().GoToUrl(host.Address);
            browser.FindElement(By.Id("image")).SendKeys(image);
            browser.FindElement(By.Id("send")).Click();
            var note = wait.Until(b => b.FindElements(By.Id("heatmap-note")).FirstOrDefault());
            Assert.StartsWith("No heatmap: This service gives no heatmaps: the service was started with --Explain false", note.Text);
            Assert.NotEmpty(browser.FindElement(By.Id("label")).Text);  // the answer is still shown
            Assert.Empty(browser.FindElements(By.Id("heatmap")));
        }
    }
}
