using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;
using Tensor = TorchSharp.torch.Tensor;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Export;

/// <summary>Each exported operator, run by ONNX Runtime, against TorchSharp on random input.</summary>
public class OnnxExporterTests
{
    public static TheoryData<string> Layers => new()
    {
        "conv 1x1", "conv 3x3 pad 1", "conv 5x5 pad 2", "conv 7x7 stride 2 pad 3", "conv no bias",
        "relu", "maxpool 3 stride 1 pad 1", "maxpool 3 stride 2 pad 1", "global average pool", "flatten", "linear",
        "sequential conv relu pool", "inception", "inception with batch normalisation",
        "conv 1x5 pad (0, 2)", "conv 3x1 stride 2 pad (1, 0)", "avgpool 3 stride 1 pad 1 without padding", "avgpool 3 stride 1 pad 1 with padding",
        "parallel paths", "residual inception",
        "maxpool 3 stride 2 ceil", "maxpool 2 stride 2 ceil", "dropout", "torchvision inception", "torchvision input",
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void Exported_layer_matches_torchsharp(string layer)
    {
        var (module, shape) = Build(layer);
        using (module)
        {
            var (expected, actual) = RunBoth(module, shape, seed: layer.Length);
            Assert.Equal(expected.Length, actual.Length);
            AssertClose(expected, actual, 1e-4f, layer);
        }
    }

    [Fact]
    public void Whole_network_with_softmax_matches_torchsharp_at_batch_3()
    {
        using var network = new GoogLeNetNetwork(new GoogLeNetConfiguration(3, 5, 40, 36, WidthDivisor: 8), seed: 11);
        network.eval();
        using var input = rand([3, 3, 40, 36], generator: new Generator(2));
        float[] expected = Probabilities(network, input);

        var stream = new MemoryStream();
        OnnxExporter.Export(network, stream);
        using var session = new InferenceSession(stream.ToArray());
        Assert.Equal(["input"], session.InputMetadata.Keys);
        Assert.Equal(["probabilities"], session.OutputMetadata.Keys);
        var actual = Run(session, "input", input);
        AssertClose(expected, actual, 1e-5f, "network");
        for (int row = 0; row < 3; row++)
            Assert.InRange(actual.Skip(row * 5).Take(5).Sum(), 0.9999f, 1.0001f);
    }

    [Fact]
    public void Recipe_network_exports_and_keeps_its_weights()
    {
        using var network = new GoogLeNetNetwork(GoogLeNetConfiguration.Recipe, seed: 4);
        network.eval();
        var stream = new MemoryStream();
        OnnxExporter.Export(network, stream, new OnnxExportOptions { IncludeSoftmax = false, OutputName = "logits" });
        var model = Onnx.ModelProto.Parser.ParseFrom(stream.ToArray());
        Assert.Equal(OnnxExporter.OpsetVersion, model.OpsetImport.Single(o => o.Domain == "").Version);
        long exportedValues = model.Graph.Initializer.Sum(t => t.Dims.Aggregate(1L, (a, b) => a * b));
        Assert.Equal(network.ParameterCount, exportedValues);
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "Softmax");

        using var input = rand([1, 1, 96, 96], generator: new Generator(3));
        float[] expected;
        using (no_grad())
        using (var scope = NewDisposeScope())
            expected = network.call(input).data<float>().ToArray();
        using var session = new InferenceSession(stream.ToArray());
        AssertClose(expected, Run(session, "input", input), 1e-4f, "recipe logits");
    }

    [Fact]
    public void Export_to_a_path_replaces_the_file_only_when_complete()
    {
        string folder = Directory.CreateTempSubdirectory("googlenet-onnx-").FullName;
        try
        {
            string path = Path.Combine(folder, "net.onnx");
            File.WriteAllText(path, "previous");
            using var network = new GoogLeNetNetwork(new GoogLeNetConfiguration(1, 2, 32, 32, WidthDivisor: 16));
            OnnxExporter.Export(network, path);
            using (var session = new InferenceSession(path))
                Assert.Single(session.OutputMetadata);
            Assert.Single(Directory.GetFiles(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Unsupported_layer_is_named()
    {
        using var module = nn.Sequential(("conv", nn.Conv2d(1, 2, 3)), ("gelu", nn.GELU()));
        var error = Assert.Throws<NotSupportedException>(() => OnnxExporter.BuildModuleModel(module, [1, 1, 8, 8]));
        Assert.Contains("GELU", error.Message);
        Assert.Contains("'gelu'", error.Message);
    }

    private static (nn.Module<Tensor, Tensor> Module, long[] Shape) Build(string layer) => layer switch
    {
        "conv 1x1" => (nn.Conv2d(4, 6, 1), [2, 4, 9, 7]),
        "conv 3x3 pad 1" => (nn.Conv2d(4, 6, 3, padding: 1), [2, 4, 9, 7]),
        "conv 5x5 pad 2" => (nn.Conv2d(3, 5, 5, padding: 2), [1, 3, 8, 8]),
        "conv 7x7 stride 2 pad 3" => (nn.Conv2d(1, 8, 7, stride: 2, padding: 3), [2, 1, 33, 31]),
        "conv no bias" => (nn.Conv2d(3, 4, 3, padding: 1, bias: false), [1, 3, 6, 6]),
        "relu" => (nn.ReLU(), [2, 3, 5, 5]),
        "maxpool 3 stride 1 pad 1" => (nn.MaxPool2d(3, stride: 1, padding: 1), [2, 3, 7, 6]),
        "maxpool 3 stride 2 pad 1" => (nn.MaxPool2d(3, stride: 2, padding: 1), [2, 3, 9, 8]),
        // Sizes where rounding up adds a row and a column (8 → 4 rather than 3; 7 → 4 rather than 3).
        "maxpool 3 stride 2 ceil" => (nn.MaxPool2d(3, stride: 2, ceil_mode: true), [2, 3, 8, 10]),
        "maxpool 2 stride 2 ceil" => (nn.MaxPool2d(2, stride: 2, ceil_mode: true), [2, 3, 7, 5]),
        "dropout" => (Scoring(nn.Dropout(0.5)), [2, 3, 4, 4]),  // the identity when scoring
        "torchvision inception" => (Modules.BatchNormTests.WithRunningStatistics(
            new TorchvisionInception("block", 6, new InceptionChannels(3, 2, 4, 2, 3, 2)), [8, 6, 7, 7]), [2, 6, 7, 7]),
        "torchvision input" => (new TorchvisionInput(), [2, 3, 5, 5]),
        "global average pool" => (nn.AdaptiveAvgPool2d(1), [2, 5, 4, 3]),
        "flatten" => (nn.Flatten(), [2, 5, 1, 1]),
        "linear" => (nn.Linear(12, 5), [3, 12]),
        "sequential conv relu pool" => (nn.Sequential(("c", nn.Conv2d(2, 3, 3, padding: 1)), ("r", nn.ReLU()), ("p", nn.MaxPool2d(3, stride: 2, padding: 1))), [1, 2, 10, 10]),
        "inception" => (new Inception("block", 6, new InceptionChannels(3, 2, 4, 2, 3, 2)), [2, 6, 7, 7]),
        "inception with batch normalisation" => (Modules.BatchNormTests.WithRunningStatistics(
            new Inception("block", 6, new InceptionChannels(3, 2, 4, 2, 3, 2), batchNorm: true), [8, 6, 7, 7]), [2, 6, 7, 7]),
        "conv 1x5 pad (0, 2)" => (nn.Conv2d(3, 4, (1, 5), padding: (0, 2)), [2, 3, 6, 7]),
        "conv 3x1 stride 2 pad (1, 0)" => (nn.Conv2d(3, 4, (3, 1), stride: (2, 2), padding: (1, 0)), [2, 3, 7, 6]),
        "avgpool 3 stride 1 pad 1 without padding" => (nn.AvgPool2d(3, stride: 1, padding: 1, count_include_pad: false), [2, 3, 5, 4]),
        "avgpool 3 stride 1 pad 1 with padding" => (nn.AvgPool2d(3, stride: 1, padding: 1, count_include_pad: true), [2, 3, 5, 4]),
        "parallel paths" => (Modules.BatchNormTests.WithRunningStatistics(
            FactorizedBlocks.Expanded("block", 6, new InceptionChannels(2, 3, 2, 3, 2, 2), batchNorm: true).Block, [8, 6, 5, 5]), [2, 6, 5, 5]),
        "residual inception" => (Modules.BatchNormTests.WithRunningStatistics(new ResidualInception("block", 6,
            FactorizedBlocks.Asymmetric("branches", 6, 2, 3, 3, batchNorm: true).Block, 8, residualScale: 0.2), [8, 6, 5, 5]), [2, 6, 5, 5]),
        _ => throw new ArgumentOutOfRangeException(nameof(layer)),
    };

    private static T Scoring<T>(T module) where T : nn.Module
    {
        module.eval();
        return module;
    }

    private static (float[] Expected, float[] Actual) RunBoth(nn.Module<Tensor, Tensor> module, long[] shape, int seed)
    {
        using var input = randn(shape, generator: new Generator((ulong)seed));
        float[] expected;
        using (no_grad())
        using (var scope = NewDisposeScope())
            expected = module.call(input).contiguous().data<float>().ToArray();
        var model = OnnxExporter.BuildModuleModel(module, shape);
        using var session = new InferenceSession(model.ToByteArray());
        return (expected, Run(session, "input", input));
    }

    /// <summary>The network's softmax probabilities for <paramref name="input"/> in TorchSharp, the reference an export is compared with.</summary>
    internal static float[] Probabilities(nn.Module<Tensor, Tensor> network, Tensor input)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return nn.functional.softmax(network.call(input), 1).data<float>().ToArray();
    }

    internal static float[] Run(InferenceSession session, string inputName, Tensor input)
    {
        var values = input.contiguous().data<float>().ToArray();
        var tensor = new DenseTensor(values, input.shape.Select(d => (int)d).ToArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, tensor)]);
        return results.First().AsTensor<float>().ToArray();
    }

    internal static void AssertClose(float[] expected, float[] actual, float tolerance, string what)
    {
        float worst = 0;
        for (int i = 0; i < expected.Length; i++)
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]) / Math.Max(1f, Math.Abs(expected[i])));
        Assert.True(worst <= tolerance, $"{what}: largest difference {worst:G3} exceeds {tolerance:G3}");
    }
}
