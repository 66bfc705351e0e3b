using System.Text.Json;
using MLNet.GoogLeNet.Export;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Tests.TestData;
using TorchSharp;
using TorchSharp.PyBridge;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Export;

/// <summary>The network's weights as PyTorch state_dict and safetensors files: kept bit for bit, loaded back, read by PyTorch.</summary>
public sealed class StateDictTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string[] Classes = ["a", "b", "c", "d"];
    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-state-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static GoogLeNetConfiguration Small(NetworkArchitecture architecture) =>
        new(InputChannels: 3, ClassCount: Classes.Length, ImageHeight: 32, ImageWidth: 36, WidthDivisor: 8, architecture);

    [Theory]
    [InlineData(NetworkArchitecture.GoogLeNet, "weights.pt")]
    [InlineData(NetworkArchitecture.GoogLeNetBatchNorm, "weights.pt")]
    [InlineData(NetworkArchitecture.GoogLeNetBatchNorm, "weights.safetensors")]
    public void Written_and_read_back_every_tensor_is_the_same_bit_for_bit(NetworkArchitecture architecture, string file)
    {
        using var network = NetworkZips.Perturbed(Small(architecture), seed: 7);
        network.UseChannelsLast(true);  // what a trained transformer holds: the file gets the values, not the layout
        string path = Path.Combine(_folder, file);
        StateDictFile.Save(network, path);

        var original = network.state_dict();
        var read = StateDictFile.Read(path);
        try
        {
            Assert.Equal(original.Keys.Order(), read.Keys.Order());
            foreach (var (name, value) in original)
            {
                Assert.Equal(value.dtype, read[name].dtype);
                Assert.Equal(value.shape, read[name].shape);
                using var contiguous = value.contiguous();
                Assert.True(contiguous.bytes.SequenceEqual(read[name].bytes), $"'{name}' changed in {file}");
            }
        }
        finally
        {
            foreach (var tensor in read.Values) tensor.Dispose();
        }
        // The keys alone, read without the tensors (what train --from recognises a file's network by).
        Assert.Equal(original.Keys.Order(), StateDictFile.ReadKeys(path).Order());

        using var loaded = new GoogLeNetNetwork(Small(architecture), seed: 99);
        StateDictFile.Load(loaded, path);
        loaded.eval();
        using var input = rand([3, 3, 32, 36], generator: new Generator(1));
        // Only the memory layout differs (channels-last in the original), which may change the convolutions' summation order.
        OnnxExporterTests.AssertClose(NetworkZips.Logits(network, input), NetworkZips.Logits(loaded, input), 1e-5f, "logits after loading");
    }

    [Fact]
    public void Weights_of_another_network_are_refused_with_the_file_and_the_weight()
    {
        string path = Path.Combine(_folder, "five-classes.pt");
        using (var five = new GoogLeNetNetwork(Small(NetworkArchitecture.GoogLeNet) with { ClassCount = 5 }))
            StateDictFile.Save(five, path);
        using var four = new GoogLeNetNetwork(Small(NetworkArchitecture.GoogLeNet));
        var shape = Assert.Throws<InvalidDataException>(() => StateDictFile.Load(four, path));
        Assert.StartsWith($"Weights file '{path}': 'dense.weight' has shape (5, ", shape.Message);
        Assert.Contains("the network needs (4, ", shape.Message);

        using var batchNorm = new GoogLeNetNetwork(Small(NetworkArchitecture.GoogLeNetBatchNorm));
        var keys = Assert.Throws<InvalidDataException>(() => StateDictFile.Load(batchNorm, path));
        Assert.Contains($"Weights file '{path}' does not fit the network", keys.Message);
        Assert.Contains("b1.conv.bn.weight", keys.Message);

        string garbage = Path.Combine(_folder, "garbage.pt");
        File.WriteAllText(garbage, "not pickled");
        var unreadable = Assert.Throws<InvalidDataException>(() => StateDictFile.Load(four, garbage));
        Assert.StartsWith($"Weights file '{garbage}' is not a readable PyTorch state_dict", unreadable.Message);
    }

    /// <summary>
    /// googlenet export --state-dict / --safetensors, read by PyTorch into bench's googlenet_torch.GoogLeNet: the logits
    /// equal the library's. docs/export.md quotes the differences this prints.
    /// </summary>
    [PythonModuleFact("torch", "python3-torch")]
    public void PyTorch_computes_the_same_logits_from_the_exported_weights()
    {
        foreach (var architecture in new[] { NetworkArchitecture.GoogLeNet, NetworkArchitecture.GoogLeNetBatchNorm })
        {
            var (model, data) = NetworkZips.Transformer(NetworkZips.Perturbed(Small(architecture), seed: 21), Classes);
            using (model)
            {
                string zip = Path.Combine(_folder, $"{architecture}.zip");
                NetworkZips.Save(model, data, zip);
                string pt = Path.Combine(_folder, $"{architecture}.pt"), safetensors = Path.Combine(_folder, $"{architecture}.safetensors");
                var export = CliRunner.Run("export", "--model", zip, "--state-dict", pt, "--safetensors", safetensors);
                Assert.True(export.ExitCode == 0, export.Output);

                string check = Path.Combine(_folder, $"{architecture}-check.pt");
                using (var scope = NewDisposeScope())
                {
                    var input = rand([6, 3, 32, 36], generator: new Generator(5));
                    Tensor logits;
                    using (no_grad())
                        logits = model.Network.call(input);
                    using var stream = File.Create(check);
                    PyTorchPickler.PickleStateDict(stream, new Dictionary<string, Tensor> { ["input"] = input, ["logits"] = logits.contiguous() });
                }

                foreach (string weights in new[] { pt, safetensors })
                {
                    string script = Path.Combine(RepositoryPaths.Root, "bench", "MLNet.GoogLeNet.Bench", "pytorch_interop.py");
                    var (code, stdout, stderr) = PythonInterpreter.Run(PythonInterpreter.With("torch")!,
                        [script, "--weights", weights, "--check", check, "--width-divisor", "8"]);
                    output.WriteLine($"{architecture}, {Path.GetExtension(weights)}: {stdout.Trim()}");
                    Assert.True(code == 0, $"{architecture} {weights}: {stdout}{stderr}");
                    using var result = JsonDocument.Parse(stdout);
                    Assert.True(result.RootElement.GetProperty("max_abs_difference").GetDouble() <= 1e-4, stdout);
                    Assert.Equal(architecture == NetworkArchitecture.GoogLeNetBatchNorm, result.RootElement.GetProperty("batch_norm").GetBoolean());
                }
            }
        }
    }
}
