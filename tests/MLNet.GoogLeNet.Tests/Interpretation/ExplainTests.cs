using System.Globalization;
using Microsoft.ML;
using MLNet.GoogLeNet.Tests.TestData;
using SkiaSharp;

namespace MLNet.GoogLeNet.Tests.Interpretation;

/// <summary>
/// Grad-CAM from a trained model zip, through the library (<see cref="ModelFile.Explain"/>) and
/// <c>googlenet predict --explain</c>, and <c>predict --json</c>.
/// </summary>
[Collection(TrainedCornerModel.Collection)]
public sealed class ExplainTests(TrainedCornerModel model)
{
    [Fact]
    public void Predict_explain_writes_the_heatmap_at_the_image_size_and_the_picture()
    {
        var images = model.Test.Images.Where((_, i) => i % 12 == 0).ToList();  // one of each class
        string folder = model.NewFolder("explain");
        var (exit, output) = CliRunner.Run(["predict", model.ModelPath, .. images.Select(i => i.ImagePath), "--explain", folder]);
        Assert.True(exit == 0, output);
        Assert.Contains($"Grad-CAM explanations of {images.Count} image(s)", output);
        var fromLibrary = ModelFile.Explain(new MLContext(), model.ModelPath, images.Select(i => i.ImagePath).ToList());
        for (int i = 0; i < images.Count; i++)
        {
            string name = $"{images[i].Label}_{Path.GetFileName(images[i].ImagePath)}";
            using var heatmap = SKBitmap.Decode(Path.Combine(folder, name + ".heatmap.png"));
            Assert.Equal((TrainedCornerModel.ImageSize, TrainedCornerModel.ImageSize), (heatmap.Width, heatmap.Height));
            // The grey levels are the library's heatmap, scaled to 0–255.
            for (int y = 0; y < heatmap.Height; y += 7)
            for (int x = 0; x < heatmap.Width; x += 7)
                Assert.Equal(fromLibrary[i].ValueAt(x, y) * 255, heatmap.GetPixel(x, y).Red, 1.0);
            using var picture = SKBitmap.Decode(Path.Combine(folder, name + ".explain.png"));
            Assert.True(picture.Width > 4 * heatmap.Width && picture.Height > 2 * heatmap.Height,
                $"{name}.explain.png is {picture.Width}×{picture.Height}, not the two panels enlarged");
        }
        Assert.Equal(2 * images.Count, Directory.GetFiles(folder).Length);
    }

    [Fact]
    public void Predict_explain_on_a_truncated_image_fails_with_the_bad_image_message_and_writes_nothing()
    {
        string work = model.NewFolder("truncated");
        string cut = Path.Combine(work, "cut.png");
        byte[] png = File.ReadAllBytes(model.Test.Images[0].ImagePath);
        File.WriteAllBytes(cut, png[..(png.Length / 3)]);
        string folder = Path.Combine(work, "explained");
        var (exit, output) = CliRunner.Run("predict", model.ModelPath, model.Test.Images[1].ImagePath, cut, "--explain", folder);
        Assert.Equal(1, exit);
        Assert.Contains("1 of 2 image file(s) cannot be used", output);
        Assert.Contains($"{cut}: truncated", output);
        Assert.False(Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any(), "files were written for a refused run");
    }

    [Fact]
    public void Predict_json_gives_every_class_probability_and_the_table_top_class()
    {
        var images = model.Test.Images.Where((_, i) => i % 6 == 0).Select(i => i.ImagePath).ToList();
        var json = CliRunner.Run(["predict", model.ModelPath, .. images, "--json"]);
        Assert.True(json.ExitCode == 0, json.Output);
        var table = CliRunner.Run(["predict", model.ModelPath, .. images]);
        Assert.True(table.ExitCode == 0, table.Output);
        var lines = json.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(images.Count, lines.Length);  // nothing but the JSON lines
        for (int i = 0; i < images.Count; i++)
        {
            using var document = System.Text.Json.JsonDocument.Parse(lines[i]);
            var root = document.RootElement;
            Assert.Equal(images[i], root.GetProperty("file").GetString());
            var probabilities = root.GetProperty("probabilities").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
            Assert.Equal(CornerImages.Classes.Order(), probabilities.Keys.Order());
            Assert.Equal(1.0, probabilities.Values.Sum(), 1e-4);
            string best = probabilities.MaxBy(p => p.Value).Key;
            Assert.Equal(best, root.GetProperty("predicted").GetString());
            var row = table.Output.Split('\n').Single(l => l.Contains(images[i], StringComparison.Ordinal));
            var cells = row.Split('│', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal(best, cells[1]);
            Assert.Equal(probabilities[best], double.Parse(cells[2], CultureInfo.InvariantCulture), 1e-4);
        }
    }
}
