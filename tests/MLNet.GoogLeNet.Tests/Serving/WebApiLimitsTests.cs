using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using MLNet.GoogLeNet.Tests.TestData;
using Xunit.Abstractions;

namespace MLNet.GoogLeNet.Tests.Serving;

/// <summary>
/// examples/WebApi in a process of its own on Kestrel, under what a careless or hostile client sends: a flood of
/// uploads, bodies over the size limit with and without a Content-Length, a few bytes announcing gigapixels. Memory is
/// the server process's peak resident set (VmHWM), read from /proc.
/// </summary>
[Collection(TrainedPatternModel.Collection)]
public sealed class WebApiLimitsTests : IDisposable
{
    private const long MiB = 1 << 20;

    private readonly TrainedPatternModel _fixture;
    private readonly ITestOutputHelper _output;
    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-webapi-limits-").FullName;
    private readonly string _zip;

    public WebApiLimitsTests(TrainedPatternModel fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
        _zip = Path.Combine(_folder, "model.zip");
        ModelFile.SaveForServing(fixture.Context, fixture.Model, _zip);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private List<byte[]> TestImages() => _fixture.Images.Test.Select(r => File.ReadAllBytes(r.ImagePath)).ToList();

    private static ByteArrayContent Raw(byte[] image)
    {
        var content = new ByteArrayContent(image);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    private static MultipartFormDataContent Form(HttpContent file)
    {
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return new MultipartFormDataContent { { file, "image", "upload.png" } };
    }

    /// <summary>A body whose length is not known in advance, sent chunked (no Content-Length).</summary>
    private sealed class Chunked(byte[] bytes) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (int offset = 0; offset < bytes.Length; offset += 64 * 1024)
                await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(64 * 1024, bytes.Length - offset)));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    private static async Task<(HttpStatusCode Status, string Body, TimeSpan? RetryAfter)> PostAsync(HttpClient client, HttpContent content)
    {
        using var response = await client.PostAsync("/predict?top=4", content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.RetryAfter?.Delta);
    }

    private static string Error(string body) => JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;

    /// <summary>
    /// A body that sends its first byte, flushes (so the server has the headers and starts the endpoint, which holds a
    /// limiter slot while it reads), then waits for <paramref name="gate"/> before sending the rest.
    /// </summary>
    private sealed class Gated(byte[] bytes, Task gate) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(bytes.AsMemory(0, 1));
            await stream.FlushAsync();
            await gate;
            await stream.WriteAsync(bytes.AsMemory(1));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = bytes.Length;
            return true;
        }
    }

    [LinuxFact]
    public async Task A_flood_of_200_uploads_is_answered_200_or_503_with_Retry_After_every_200_as_sequentially_with_memory_bounded()
    {
        using var server = new WebApiProcess(_zip, "--MaxConcurrentPredictions", "2");
        using var client = server.Client(connections: 256);
        var images = TestImages();
        var sequential = new List<string>();
        foreach (var image in images)
        {
            var (status, body, _) = await PostAsync(client, Raw(image));
            Assert.True(status == HttpStatusCode.OK, $"{status}: {body}");
            sequential.Add(body);
        }
        long peakBefore = server.PeakResidentBytes;

        // Two slow uploads take both places, so that the flood meets a full limiter however fast the machine scores;
        // they are let go while the flood is in flight, so that later requests of the flood may be scored. A place is
        // given back just after its answer is sent, so a slow upload sent right after an answer may be refused: more
        // are sent until two probes, 100 ms apart, are refused.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = new List<Task<(HttpStatusCode Status, string Body, TimeSpan? RetryAfter)>>();
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!await BothRefused())
            {
                Assert.True(DateTime.UtcNow < deadline, $"{slow.Count} uploads waiting for their bodies did not take the 2 places within 30 s");
                slow.Add(PostAsync(client, new Gated(images[slow.Count % images.Count], gate.Task)));
                await Task.Delay(100);
            }

            async Task<bool> BothRefused()
            {
                for (int probe = 0; probe < 2; probe++)
                {
                    if (probe > 0)
                        await Task.Delay(100);
                    var (status, body, _) = await PostAsync(client, Raw(images[0]));
                    if (status == HttpStatusCode.OK)
                        return false;
                    Assert.True(status == HttpStatusCode.ServiceUnavailable, $"{status}: {body}");
                }
                return true;
            }

            var flood = Enumerable.Range(0, 200).Select(i =>
                PostAsync(client, i % 2 == 0 ? Raw(images[i % images.Count]) : Form(new ByteArrayContent(images[i % images.Count])))).ToArray();
            await Task.WhenAny(flood);
            gate.SetResult();
            var answers = await Task.WhenAll(flood);
            var slowAnswers = await Task.WhenAll(slow);
            long peakAfter = server.PeakResidentBytes;

            int heldScored = 0;
            for (int i = 0; i < slowAnswers.Length; i++)
            {
                var (status, body, _) = slowAnswers[i];
                Assert.True(status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"slow upload {i}: {status}: {body}");
                if (status == HttpStatusCode.OK)
                {
                    heldScored++;
                    Assert.Equal(sequential[i % images.Count], body);
                }
            }
            Assert.Equal(2, heldScored);
            int ok = 0, busy = 0;
            for (int i = 0; i < answers.Length; i++)
            {
                var (status, body, retryAfter) = answers[i];
                if (status == HttpStatusCode.OK)
                {
                    ok++;
                    Assert.Equal(sequential[i % images.Count], body);
                }
                else
                {
                    Assert.True(status == HttpStatusCode.ServiceUnavailable, $"request {i}: {status}: {body}");
                    busy++;
                    Assert.Equal(TimeSpan.FromSeconds(1), retryAfter);
                    Assert.Contains("MaxConcurrentPredictions", Error(body));
                }
            }
            _output.WriteLine($"{slow.Count} held uploads sent, 2 scored; flood: {ok} answered 200, {busy} answered 503; server peak resident {peakBefore / MiB} MiB before, {peakAfter / MiB} MiB after");
            Assert.True(busy > 0, "no request of the 200 was refused while both of the 2 slots were held");
            Assert.True(peakAfter - peakBefore < 256 * MiB, $"the server's peak resident memory grew by {(peakAfter - peakBefore) / MiB} MiB in the flood");
        }
        finally
        {
            gate.TrySetResult();
        }
    }

    [LinuxFact]
    public async Task Stopped_with_sigterm_the_server_leaves_nothing_in_its_temporary_folder()
    {
        // The loaded zip keeps its network in a temporary file until the model is disposed, and each upload is written
        // to one until it is scored: after a graceful stop, the server's own temporary folder must be empty.
        string temporary = Directory.CreateDirectory(Path.Combine(_folder, "tmp")).FullName;
        using var server = new WebApiProcess(_zip, OwnTemporaryFolder.Environment(temporary));
        using (var client = server.Client())
        {
            var (status, body, _) = await PostAsync(client, Raw(TestImages()[0]));
            Assert.True(status == HttpStatusCode.OK, $"{status}: {body}");
        }
        Assert.NotEmpty(Directory.GetFiles(temporary));  // the loaded network's copy, while it serves
        Assert.Equal(0, server.Stop());
        OwnTemporaryFolder.AssertEmpty(temporary, "the web API");
    }

    [LinuxFact]
    public async Task A_45_byte_png_announcing_40000_by_40000_pixels_gets_400_with_memory_bounded()
    {
        using var server = new WebApiProcess(_zip);
        using var client = server.Client();
        // One image scored first, so that the peak already holds a decoded upload and a forward pass.
        var (status, body, _) = await PostAsync(client, Raw(TestImages()[0]));
        Assert.True(status == HttpStatusCode.OK, $"{status}: {body}");
        long peakBefore = server.PeakResidentBytes;

        byte[] bomb = ImageBytes.PngHeaderOnly(40000, 40000);
        Assert.True(bomb.Length < 100, $"the bomb has {bomb.Length} bytes");
        foreach (var content in (HttpContent[])[Raw(bomb), Form(new ByteArrayContent(bomb))])
        {
            (status, body, _) = await PostAsync(client, content);
            Assert.True(status == HttpStatusCode.BadRequest, $"{status}: {body}");
            Assert.Contains("too large", Error(body));
            Assert.Contains("40000", Error(body));
        }
        long growth = server.PeakResidentBytes - peakBefore;
        _output.WriteLine($"server peak resident {peakBefore / MiB} MiB before the bomb, grown by {growth / 1024} KiB");
        Assert.True(growth < 32 * MiB, $"the server's peak resident memory grew by {growth / MiB} MiB on a {bomb.Length}-byte upload");
    }

    [LinuxFact]
    public async Task Uploads_over_MaxUploadBytes_get_413_chunked_or_not_and_a_limit_above_Kestrels_30_MB_takes_effect()
    {
        const int Limit = 40 << 20;
        using var server = new WebApiProcess(_zip, "--MaxUploadBytes", Limit.ToString(CultureInfo.InvariantCulture));
        using var client = server.Client();
        try
        {
            await OverTheLimit(client, Limit);
        }
        catch
        {
            _output.WriteLine(server.Output);
            throw;
        }
    }

    private async Task OverTheLimit(HttpClient client, int limit)
    {
        // Black images of any size scale down to the same black 32×32: every large upload has the small one's answer.
        var (status, expected, _) = await PostAsync(client, Raw(ImageBytes.Bmp(32, 32)));
        Assert.True(status == HttpStatusCode.OK, $"{status}: {expected}");

        // 35 MB: over Kestrel's default body limit of 30 MB, under MaxUploadBytes.
        byte[] large = ImageBytes.Bmp(3500, 3400);
        Assert.InRange(large.Length, 35_000_000, limit);
        foreach (var content in (HttpContent[])[new Chunked(large), Form(new Chunked(large)), Raw(large)])
        {
            var (largeStatus, body, _) = await PostAsync(client, content);
            Assert.True(largeStatus == HttpStatusCode.OK, $"{Describe(content)} of {large.Length:N0} bytes: {largeStatus}: {body}");
            Assert.Equal(expected, body);
        }

        // Just over the limit (by 57 kB): the server reads all of it before it answers, so the client, done sending,
        // reads the 413. A body far over the limit is cut off with its connection once the server has read the
        // limit, and a client that is still sending sees the connection close rather than the answer.
        byte[] tooLarge = ImageBytes.Bmp(4096, 3418);
        Assert.InRange(tooLarge.Length, limit + 1, limit + 64 * 1024);
        string message = $"larger than the limit of {limit:N0} bytes";
        foreach (var content in (HttpContent[])[new Chunked(tooLarge), Form(new Chunked(tooLarge)), Raw(tooLarge), Form(new ByteArrayContent(tooLarge))])
        {
            var (refused, body, _) = await PostAsync(client, content);
            Assert.True(refused == HttpStatusCode.RequestEntityTooLarge, $"{Describe(content)} of {tooLarge.Length:N0} bytes: {refused}: {body}");
            Assert.Contains(message, Error(body));
            Assert.Contains("MaxUploadBytes", Error(body));
        }
    }

    private static string Describe(HttpContent content) => content switch
    {
        Chunked => "a chunked body",
        MultipartFormDataContent form when form.Headers.ContentLength is null => "a chunked form",
        MultipartFormDataContent => "a form with a Content-Length",
        _ => "a body with a Content-Length",
    };

    [Fact]
    public void A_setting_out_of_range_stops_the_service_with_exit_code_2_and_names_the_setting()
    {
        using var server = new WebApiProcess(_zip, "--MaxConcurrentPredictions", "0");
        Assert.Equal(2, server.WaitForExit());
        Assert.Contains("MaxConcurrentPredictions is 0; it must be at least 1. Set --MaxConcurrentPredictions", server.Output);
        Assert.DoesNotContain("   at ", server.Output);
    }
}
