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
    [ChromiumFact]
    public void Uploading_an_image_shows_the_models_answer()
    {
        using var host = new WebApiHost(fixture, kestrel: true);
        var options = new ChromeOptions { BinaryLocation = ChromiumFactAttribute.Browser };
        // --no-sandbox: chromium's sandbox refuses to start as root (CI containers).
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu");
        using var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(ChromiumFactAttribute.Driver)!,
            Path.GetFileName(ChromiumFactAttribute.Driver));
        service.HideCommandPromptWindow = true;
        using var browser = new ChromeDriver(service, options, TimeSpan.FromMinutes(1));

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
}
