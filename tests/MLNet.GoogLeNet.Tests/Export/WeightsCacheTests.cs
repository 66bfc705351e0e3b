using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using MLNet.GoogLeNet.Export;
using MLNet.GoogLeNet.Modules;

namespace MLNet.GoogLeNet.Tests.Export;

/// <summary>
/// Published weights by name: fetched once into PyTorch's hub cache and found there after, checked by the hash prefix
/// of their name, and never left half-written. Nothing is downloaded from the internet: the files come from an HTTP
/// server of the test's own on the loopback address, and <c>TORCH_HOME</c> points at the test's folder.
/// </summary>
[Collection(nameof(WeightsCacheTests))]  // TORCH_HOME is the process's: these tests do not run beside each other
public sealed class WeightsCacheTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("googlenet-torch-home-").FullName;
    private readonly string? _previousHome = Environment.GetEnvironmentVariable("TORCH_HOME");
    private readonly byte[] _file = RandomNumberGenerator.GetBytes(300_000);

    public WeightsCacheTests() => Environment.SetEnvironmentVariable("TORCH_HOME", _home);

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("TORCH_HOME", _previousHome);
        Directory.Delete(_home, recursive: true);
    }

    private string Checkpoints => Path.Combine(_home, "hub", "checkpoints");

    private string Prefix => Convert.ToHexStringLower(SHA256.HashData(_file))[..8];

    private PublishedWeights Weights(string url, string? prefix = null) =>
        new("test:weights", NetworkArchitecture.GoogLeNetTorchvision, url, prefix ?? Prefix, "none");

    [Fact]
    public void The_published_names_are_torchvision_s_files_with_their_hash_in_the_name()
    {
        var googlenet = PublishedWeights.Find("torchvision:googlenet")!;
        Assert.Equal("googlenet-1378be20.pth", googlenet.FileName);
        Assert.Equal(NetworkArchitecture.GoogLeNetTorchvision, googlenet.Architecture);
        Assert.Contains(googlenet.Sha256Prefix, googlenet.FileName);
        Assert.Same(googlenet, PublishedWeights.Find("TorchVision:GoogLeNet"));
        Assert.Null(PublishedWeights.Find("googlenet-1378be20.pth"));

        var inception = PublishedWeights.Find("torchvision:inception_v3")!;
        Assert.Equal("inception_v3_google-0cc3c7bd.pth", inception.FileName);
        Assert.Equal(NetworkArchitecture.InceptionV3Torchvision, inception.Architecture);
        Assert.Contains(inception.Sha256Prefix, inception.FileName);
        // Every row builds a network of the library, of the size its transforms name.
        Assert.All(PublishedWeights.All, row =>
        {
            int size = ArchitectureTable.Of(row.Architecture!.Value).DefaultImageSize;
            Assert.Contains($"{size}×{size}", row.Transforms);
        });

        // An address whose file name carries the start of its SHA-256, as torch.hub's do, is a file of its own; others are not.
        var byAddress = PublishedWeights.Find("https://example.org/models/resnet18-f37072fd.pth")!;
        Assert.Equal(("f37072fd", "resnet18-f37072fd.pth", (NetworkArchitecture?)null), (byAddress.Sha256Prefix, byAddress.FileName, byAddress.Architecture));
        Assert.Null(PublishedWeights.Find("https://example.org/models/resnet18.pth"));
        Assert.Null(PublishedWeights.Find("https://example.org/models/resnet-18.pth"));
        Assert.Null(PublishedWeights.Find("ftp://example.org/models/resnet18-f37072fd.pth"));
        var problem = new GoogLeNetTrainerOptions { FineTuneFrom = "https://example.org/models/resnet18.pth" }.FindProblem();
        Assert.Equal(nameof(GoogLeNetTrainerOptions.FineTuneFrom), problem?.Option);
        Assert.Contains("its file name must carry the start of the file's SHA-256", problem?.Rule);
    }

    [Fact]
    public void A_named_file_downloads_once_into_the_cache_and_is_used_from_it_after()
    {
        using var server = new LoopbackServer(_ => _file);
        string path = WeightsCache.Fetch(Weights(server.Url("weights-x.pth")));
        Assert.Equal(Path.Combine(Checkpoints, "weights-x.pth"), path);
        Assert.Equal(_file, File.ReadAllBytes(path));
        Assert.Equal(1, server.Requests);

        Assert.Equal(path, WeightsCache.Fetch(Weights(server.Url("weights-x.pth"))));
        Assert.Equal(1, server.Requests);
        Assert.Single(Directory.GetFileSystemEntries(Checkpoints));
    }

    [Fact]
    public void A_wrong_hash_or_a_cut_connection_leaves_nothing_in_the_cache()
    {
        using var server = new LoopbackServer(request => request.Url!.AbsolutePath.Contains("cut") ? null : _file);
        var wrong = Assert.Throws<InvalidOperationException>(() => WeightsCache.Fetch(Weights(server.Url("weights-y.pth"), prefix: "00000000")));
        Assert.Contains("not one starting 00000000", wrong.Message);
        Assert.Empty(Directory.GetFileSystemEntries(Checkpoints));

        var cut = Assert.Throws<InvalidOperationException>(() => WeightsCache.Fetch(Weights(server.Url("cut.pth"))));
        Assert.Contains($"downloading {server.Url("cut.pth")} failed", cut.Message);
        Assert.Empty(Directory.GetFileSystemEntries(Checkpoints));
    }

    [Fact]
    public async Task Two_fetches_at_once_both_end_with_one_good_file()
    {
        using var server = new LoopbackServer(_ => _file, delay: TimeSpan.FromMilliseconds(300));
        var weights = Weights(server.Url("weights-z.pth"));
        var both = await Task.WhenAll(Task.Run(() => WeightsCache.Fetch(weights)), Task.Run(() => WeightsCache.Fetch(weights)));
        Assert.Equal(both[0], both[1]);
        Assert.Equal(_file, File.ReadAllBytes(both[0]));
        Assert.Single(Directory.GetFileSystemEntries(Checkpoints));
    }

    /// <summary>
    /// Two <c>googlenet train</c> processes started together from one address (a state dict of a small network, served
    /// slowly): each downloads into a temporary file of its own and renames it into place, so both train from a whole,
    /// checked file and the cache ends with that one file, nothing partial beside it.
    /// </summary>
    [Fact]
    public async Task Two_processes_training_from_one_address_at_once_both_end_with_one_good_file()
    {
        string source = Path.Combine(_home, "source.pth");
        using (var network = new GoogLeNetNetwork(new GoogLeNetConfiguration(1, 4, 32, 32, 16, NetworkArchitecture.GoogLeNetBatchNorm), seed: 5))
            StateDictFile.Save(network, source);
        byte[] bytes = File.ReadAllBytes(source);
        string name = $"small-{Convert.ToHexStringLower(SHA256.HashData(bytes))[..8]}.pth";
        using var server = new LoopbackServer(_ => bytes, delay: TimeSpan.FromSeconds(3));
        using var images = TestData.PatternImages.Create(trainPerClass: 4, testPerClass: 2, size: 32);
        string cli = TestData.RepositoryPaths.Googlenet;
        var environment = new Dictionary<string, string?> { ["TORCH_HOME"] = _home, [WeightsCache.OfflineVariable] = null };
        Task<TestData.ProcessRunner.Result> Train(string model) => Task.Run(() => TestData.ProcessRunner.Dotnet(
            [cli, "train", "--data", images.Root, "--from", server.Url(name), "--width-divisor", "16", "--image-size", "32",
             "--epochs", "1", "--batch-size", "8", "--no-validation", "--model", Path.Combine(_home, model)],
            TimeSpan.FromMinutes(3), _home, environment));

        var both = await Task.WhenAll(Train("a.zip"), Train("b.zip"));
        string cached = Path.Combine(Checkpoints, name);
        Assert.All(both, run =>
        {
            Assert.True(run.ExitCode == 0, run.Output + run.Error);
            Assert.Contains($"Fine-tuning all the weights of {cached}", run.Output);
        });
        Assert.Equal([name], Directory.GetFileSystemEntries(Checkpoints).Select(Path.GetFileName));
        Assert.Equal(bytes, File.ReadAllBytes(cached));
        Assert.InRange(server.Requests, 1, 2);  // 2 when both found it missing, as they do when they start together
    }

    [Fact]
    public void Without_a_network_or_with_downloads_forbidden_the_message_names_the_address_and_the_folder()
    {
        // A port nothing listens on.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        string url = $"http://127.0.0.1:{port}/weights-w.pth";
        var down = Assert.Throws<InvalidOperationException>(() => WeightsCache.Fetch(Weights(url)));
        Assert.Contains($"downloading {url} failed", down.Message);
        Assert.Contains($"put it in {Checkpoints} as weights-w.pth", down.Message);

        Environment.SetEnvironmentVariable(WeightsCache.OfflineVariable, "1");
        try
        {
            var offline = Assert.Throws<InvalidOperationException>(() => WeightsCache.Fetch(Weights(url)));
            Assert.Contains($"weights-w.pth is not in {Checkpoints}, and {WeightsCache.OfflineVariable}=1 forbids downloading it. Download {url}", offline.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(WeightsCache.OfflineVariable, null);
        }
    }

    [Fact]
    public void Train_from_a_name_that_cannot_be_fetched_says_where_to_put_the_file_before_training()
    {
        using var images = TestData.PatternImages.Create(trainPerClass: 4, testPerClass: 0, size: 32);
        Environment.SetEnvironmentVariable(WeightsCache.OfflineVariable, "1");
        try
        {
            var (exit, output) = TestData.CliRunner.Run("train", "--data", images.Root, "--from", "torchvision:googlenet", "--epochs", "1",
                "--model", Path.Combine(_home, "model.zip"));
            Assert.NotEqual(0, exit);
            Assert.Contains($"googlenet-1378be20.pth is not in {Checkpoints}", output);
            Assert.Contains("https://download.pytorch.org/models/googlenet-1378be20.pth", output);
            Assert.DoesNotContain("Training with the", output);
            Assert.False(File.Exists(Path.Combine(_home, "model.zip")));
        }
        finally
        {
            Environment.SetEnvironmentVariable(WeightsCache.OfflineVariable, null);
        }
    }

    /// <summary>An HTTP server on 127.0.0.1 answering every request with the bytes <c>body</c> gives, or cutting the connection halfway for null.</summary>
    private sealed class LoopbackServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _serving;
        private int _requests;

        public LoopbackServer(Func<HttpListenerRequest, byte[]?> body, TimeSpan delay = default)
        {
            for (int attempt = 0; ; attempt++)
            {
                var probe = new TcpListener(IPAddress.Loopback, 0);
                probe.Start();
                Port = ((IPEndPoint)probe.LocalEndpoint).Port;
                probe.Stop();
                _listener.Prefixes.Clear();
                _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
                try
                {
                    _listener.Start();
                    break;
                }
                catch (HttpListenerException) when (attempt < 5)
                {
                }
            }
            _serving = Task.Run(async () =>
            {
                while (_listener.IsListening)
                {
                    HttpListenerContext context;
                    try
                    {
                        context = await _listener.GetContextAsync();
                    }
                    catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                    {
                        return;
                    }
                    Interlocked.Increment(ref _requests);
                    _ = Task.Run(async () =>
                    {
                        var bytes = body(context.Request);
                        var response = context.Response;
                        try
                        {
                            response.ContentLength64 = bytes?.Length ?? 200_000;
                            await Task.Delay(delay);
                            if (bytes is null)
                            {
                                await response.OutputStream.WriteAsync(new byte[100_000]);
                                await response.OutputStream.FlushAsync();
                                response.Abort();
                                return;
                            }
                            await response.OutputStream.WriteAsync(bytes);
                            response.Close();
                        }
                        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or IOException)
                        {
                        }
                    });
                }
            });
        }

        public int Port { get; private set; }

        public int Requests => Volatile.Read(ref _requests);

        public string Url(string file) => $"http://127.0.0.1:{Port}/models/{file}";

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _serving.Wait(TimeSpan.FromSeconds(5));
        }
    }
}
