using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using MLNet.GoogLeNet.Tests.TestData;
using SkiaSharp;

namespace MLNet.GoogLeNet.Tests.Serving;

/// <summary>
/// examples/WebApi's <c>POST /explain</c> in process: the heatmap PNG is the library's Grad-CAM of the served zip at the
/// image's size, a bad upload is refused, and a service started without heatmaps says so (501) and still predicts.
/// </summary>
[Collection(TrainedPatternModel.Collection)]
public sealed class WebApiExplainTests(TrainedPatternModel fixture)
{
    private static MultipartFormDataContent Form(byte[] bytes, string name = "image.png")
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return new MultipartFormDataContent { { file, "image", name } };
    }

    private static string Error(string body) => JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;

    [Fact]
    public async Task Explain_answers_the_libraries_heatmap_as_a_png_of_the_images_size()
    {
        using var host = new WebApiHost(fixture);
        using var client = host.Factory.CreateClient();
        // The first test image of two classes.
        var images = fixture.Images.Test.GroupBy(r => r.Label).Take(2).Select(g => g.First().ImagePath).ToList();
        var expected = ModelFile.Explain(fixture.Context, host.ModelPath, images, top: 1);
        for (int i = 0; i < images.Count; i++)
        {
            using var response = await client.PostAsync("/explain", Form(File.ReadAllBytes(images[i])));
            var bytes = await response.Content.ReadAsByteArrayAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {System.Text.Encoding.UTF8.GetString(bytes)}");
            Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(expected[i].ExplainedClass, Uri.UnescapeDataString(response.Headers.GetValues("Explained-Class").Single()));

            using var png = SKBitmap.Decode(bytes);
            Assert.NotNull(png);
            using var uploaded = SKBitmap.Decode(images[i]);
            Assert.Equal((uploaded.Width, uploaded.Height), (png.Width, png.Height));
            Assert.Equal((expected[i].Width, expected[i].Height), (png.Width, png.Height));
            // The grey levels are the heatmap's values (to the 1/255 of the encoding), and the map is not blank.
            int brightest = 0;
            for (int y = 0; y < png.Height; y++)
                for (int x = 0; x < png.Width; x++)
                {
                    byte grey = png.GetPixel(x, y).Red;
                    brightest = Math.Max(brightest, grey);
                    Assert.True(Math.Abs(grey / 255f - expected[i].ValueAt(x, y)) <= 1 / 255f + 1e-4,
                        $"image {i}, pixel ({x}, {y}): grey {grey} for heatmap value {expected[i].ValueAt(x, y)}");
                }
            Assert.Equal(255, brightest);
        }
    }

    [Fact]
    public async Task Explain_refuses_an_upload_that_is_not_an_image()
    {
        using var host = new WebApiHost(fixture);
        using var client = host.Factory.CreateClient();
        using var response = await client.PostAsync("/explain", Form("not an image"u8.ToArray(), "notes.txt"));
        string body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("is not an image that can be scored", Error(body));
    }

    [Fact]
    public async Task A_service_without_heatmaps_answers_501_with_the_reason_and_still_predicts()
    {
        using var host = new WebApiHost(fixture, settings: new Dictionary<string, string> { ["Explain"] = "false" });
        using var client = host.Factory.CreateClient();
        var image = File.ReadAllBytes(fixture.Images.Test[0].ImagePath);
        using var explain = await client.PostAsync("/explain", Form(image));
        string body = await explain.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.NotImplemented, explain.StatusCode);
        Assert.Equal("application/json", explain.Content.Headers.ContentType?.MediaType);
        Assert.Equal("This service gives no heatmaps: the service was started with --Explain false (it scores through ONNX Runtime only). " +
                     "POST the image to /predict for the classes.", Error(body));

        using var predict = await client.PostAsync("/predict", Form(image));
        Assert.Equal(HttpStatusCode.OK, predict.StatusCode);
        Assert.Contains("\"label\"", await predict.Content.ReadAsStringAsync());
    }
}
