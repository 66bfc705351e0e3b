using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Serving;

/// <summary>examples/WebApi in process: answers on real images, concurrency, bad uploads, health, and its build output.</summary>
[Collection(TrainedPatternModel.Collection)]
public sealed class WebApiTests(TrainedPatternModel fixture)
{
    private sealed record ClassScore(string Label, float Score);

    private sealed record Prediction(string Label, float Score, List<ClassScore> Top);

    private static MultipartFormDataContent Form(string imagePath)
    {
        var file = new ByteArrayContent(File.ReadAllBytes(imagePath));
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return new MultipartFormDataContent { { file, "image", Path.GetFileName(imagePath) } };
    }

    private static async Task<Prediction> PostAsync(HttpClient client, HttpContent content, string query = "")
    {
        using var response = await client.PostAsync("/predict" + query, content);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<Prediction>(body, JsonSerializerOptions.Web)!;
    }

    /// <summary>The shared model's answers for the test images, scored in this process by the fitted pipeline (TorchSharp).</summary>
    private (List<string> Labels, List<float[]> Scores) InProcess()
    {
        var scored = fixture.Model.Transform(fixture.TestData);
        return (scored.GetColumn<string>("PredictedLabel").ToList(), scored.GetColumn<float[]>("Score").ToList());
    }

    [Fact]
    public async Task Predict_answers_real_images_as_the_trained_model_does()
    {
        using var host = new WebApiHost(fixture);
        using var client = host.Factory.CreateClient();
        var (labels, scores) = InProcess();
        var test = fixture.Images.Test;
        int correct = 0;
        for (int i = 0; i < test.Count; i++)
        {
            var answer = await PostAsync(client, Form(test[i].ImagePath), "?top=2");
            Assert.Equal(labels[i], answer.Label);
            Assert.Equal(scores[i].Max(), answer.Score, 1e-4);
            Assert.Equal(2, answer.Top.Count);
            Assert.Equal(answer.Label, answer.Top[0].Label);
            Assert.True(answer.Top[0].Score >= answer.Top[1].Score);
            if (answer.Label == test[i].Label) correct++;
        }
        double accuracy = (double)correct / test.Count;
        TrainedPatternModel.Learning.Check("held-out accuracy", accuracy);

        // The image bytes as the body give the same answer as the form.
        var raw = new ByteArrayContent(File.ReadAllBytes(test[0].ImagePath));
        raw.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var fromBody = await PostAsync(client, raw);
        Assert.Equal(labels[0], fromBody.Label);
        Assert.Equal(scores[0].Max(), fromBody.Score, 1e-4);
        Assert.Equal(3, fromBody.Top.Count);  // the service's default
    }

    [Fact]
    public async Task Concurrent_requests_get_the_answers_of_sequential_ones()
    {
        // Two predictions at once and room for all the others to wait: every request is scored, by engines from the pool.
        using var host = new WebApiHost(fixture, settings: new Dictionary<string, string>
        {
            ["MaxConcurrentPredictions"] = "2",
            ["QueueLength"] = (3 * fixture.Images.Test.Count).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        using var client = host.Factory.CreateClient();
        var paths = fixture.Images.Test.Select(r => r.ImagePath).ToList();
        var sequential = new List<Prediction>();
        foreach (var path in paths)
            sequential.Add(await PostAsync(client, Form(path), "?top=4"));
        // Each image three times, all in flight together: engines come from the pool, never shared by two requests.
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 3 * paths.Count)
            .Select(i => Task.Run(() => PostAsync(client, Form(paths[i % paths.Count]), "?top=4"))));
        for (int i = 0; i < concurrent.Length; i++)
        {
            var expected = sequential[i % paths.Count];
            Assert.Equal(expected.Label, concurrent[i].Label);
            Assert.Equal(expected.Top.Select(t => t.Label), concurrent[i].Top.Select(t => t.Label));
            Assert.Equal(expected.Top.Select(t => t.Score), concurrent[i].Top.Select(t => t.Score));
        }
    }

    [Fact]
    public async Task Bad_uploads_get_400_and_oversized_ones_413_with_a_message()
    {
        string image = fixture.Images.Test[0].ImagePath;
        long size = new FileInfo(image).Length;
        using var host = new WebApiHost(fixture, maxUploadBytes: size - 1);
        using var client = host.Factory.CreateClient();

        async Task<string> Refused(HttpContent content, string query = "", HttpStatusCode expected = HttpStatusCode.BadRequest)
        {
            using var response = await client.PostAsync("/predict" + query, content);
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == expected, $"{response.StatusCode}: {body}");
            return JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;
        }

        Task<string> TooLarge(HttpContent content) => Refused(content, expected: HttpStatusCode.RequestEntityTooLarge);

        Assert.Contains("empty", await Refused(new ByteArrayContent([])));
        Assert.Contains("not an image", await Refused(new ByteArrayContent("GIF89a, or so it says"u8.ToArray())));
        var text = new ByteArrayContent("just text"u8.ToArray());
        Assert.Contains("not an image", await Refused(new MultipartFormDataContent { { text, "image", "notes.txt" } }));
        var cut = File.ReadAllBytes(image)[..(int)(size / 3)];
        Assert.Contains("truncated", await Refused(new ByteArrayContent(cut)));
        // A JPEG cut inside its compressed data with its end marker put back, which the decoder takes as whole.
        string jpeg = Path.Combine(Path.GetTempPath(), $"googlenet-webapi-{Guid.NewGuid():N}.jpg");
        byte[] jpegBytes;
        try
        {
            using (var decoded = MLImage.CreateFromFile(image))
                decoded.Save(jpeg);
            jpegBytes = File.ReadAllBytes(jpeg);
        }
        finally
        {
            File.Delete(jpeg);
        }
        byte[] padded = [.. jpegBytes[..(jpegBytes.Length * 3 / 4)], 0xFF, 0xD9];
        Assert.True(padded.Length < size - 1, $"the padded JPEG ({padded.Length} bytes) is over the test's upload limit");
        string paddedError = await Refused(new ByteArrayContent(padded));
        Assert.Contains("truncated", paddedError);
        Assert.Contains("the JPEG's compressed image data ends at byte", paddedError);
        Assert.Contains($"larger than the limit of {size - 1:N0} bytes", await TooLarge(Form(image)));
        Assert.Contains($"larger than the limit of {size - 1:N0} bytes", await TooLarge(new ByteArrayContent(File.ReadAllBytes(image))));
        // Complete to its end marker, so the check passes it, but with no scan for the decoder to read.
        byte[] frameOnly = [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 8, 0, 32, 0, 32, 1, 1, 0x11, 0, 0xFF, 0xD9];
        Assert.Null(ImageFileCheck.Problem(frameOnly));
        Assert.Contains("not an image that can be decoded", await Refused(new ByteArrayContent(frameOnly)));
        Assert.Contains("one image file", await Refused(new MultipartFormDataContent { { new StringContent("x"), "note" } }));
        Assert.Contains("top must be at least 1", await Refused(new ByteArrayContent([1]), "?top=0"));
    }

    [Fact]
    public async Task Health_names_the_model_and_its_classes_and_the_page_has_the_form()
    {
        using var host = new WebApiHost(fixture);
        using var client = host.Factory.CreateClient();
        var health = await client.GetFromJsonAsync<JsonElement>("/health");
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal("model.zip", health.GetProperty("model").GetString());
        var classes = health.GetProperty("classes").EnumerateArray().Select(c => c.GetString()!).ToList();
        Assert.Equal(ClassLabels.NamesFromScoreColumn(fixture.Model.Transform(fixture.TestData).Schema).ToList(), classes);

        string page = await client.GetStringAsync("/");
        Assert.Contains("<input type=\"file\" id=\"image\"", page);
        Assert.Contains("fetch('predict'", page);
    }

    [Fact]
    public void Web_api_builds_without_torchsharp()
    {
        string folder = Path.GetDirectoryName(RepositoryPaths.BuiltAssembly(Path.Combine("examples", "WebApi"), "WebApi"))!;
        Assert.True(File.Exists(Path.Combine(folder, "WebApi.dll")), $"{folder} holds no WebApi.dll");
        Assert.True(File.Exists(Path.Combine(folder, "Microsoft.ML.OnnxTransformer.dll")));
        // The serving assembly and ML.NET, not the library or TorchSharp (ServingAssemblyTests checks more).
        Assert.Empty(Directory.GetFiles(folder, "*Torch*", SearchOption.AllDirectories));
        Assert.True(File.Exists(Path.Combine(folder, "MLNet.GoogLeNet.Serving.dll")));
        Assert.False(File.Exists(Path.Combine(folder, "MLNet.GoogLeNet.dll")));
    }
}
