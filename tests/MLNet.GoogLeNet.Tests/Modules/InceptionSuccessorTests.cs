using Microsoft.ML.OnnxRuntime;
using MLNet.GoogLeNet.Export;
using MLNet.GoogLeNet.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Modules;

/// <summary>
/// Inception-v3-style and Inception-ResNet-style networks: shapes, parameter counts worked out from their layer
/// tables, residual scaling, state-dict names, size limits and ONNX export.
/// </summary>
public class InceptionSuccessorTests
{
    /// <summary>A convolution followed by batch normalisation: weights (no bias) plus a scale and a shift per output channel.</summary>
    private static long Bn(long input, long output, long kh, long kw) => input * output * kh * kw + 2 * output;

    /// <summary>The linear 1×1 projection of a residual block: weights and a bias.</summary>
    private static long Projection(long input, long output) => input * output + output;

    private static long Stem(int b2Channels) =>
        Bn(1, 32, 3, 3) + Bn(32, 32, 3, 3) + Bn(32, 64, 3, 3) + Bn(64, 80, 1, 1) + Bn(80, b2Channels, 3, 3);

    [Fact]
    public void Inception_v3_has_the_stated_shapes_and_the_parameters_of_its_layer_table()
    {
        using var network = new GoogLeNetNetwork(GoogLeNetConfiguration.Recipe with { Architecture = NetworkArchitecture.InceptionV3 });
        Assert.Equal(
            ["b1 (1,64,24,24)", "b2 (1,192,12,12)", "b3 (1,640,6,6)", "b4 (1,1056,3,3)", "b5 (1,960,1,1)", "dense (1,10)"],
            Trace(network));

        static long A(long i, long c1, long c2a, long c2b, long c3a, long c3b, long c4) =>
            Bn(i, c1, 1, 1) + Bn(i, c2a, 1, 1) + Bn(c2a, c2b, 3, 3) + Bn(i, c3a, 1, 1) + Bn(c3a, c3b, 3, 3) + Bn(c3b, c3b, 3, 3) + Bn(i, c4, 1, 1);
        static long B(long i, long c1, long c, long n) =>
            Bn(i, c1, 1, 1)
            + Bn(i, c, 1, 1) + Bn(c, c, 1, n) + Bn(c, c1, n, 1)
            + Bn(i, c, 1, 1) + Bn(c, c, n, 1) + Bn(c, c, 1, n) + Bn(c, c, n, 1) + Bn(c, c1, 1, n)
            + Bn(i, c1, 1, 1);
        static long C(long i, long c1, long c2a, long c2b, long c3a, long c3b, long c4) =>
            Bn(i, c1, 1, 1) + Bn(i, c2a, 1, 1) + Bn(c2a, c2b, 1, 3) + Bn(c2a, c2b, 3, 1)
            + Bn(i, c3a, 1, 1) + Bn(c3a, c3b, 3, 3) + Bn(c3b, c3b, 1, 3) + Bn(c3b, c3b, 3, 1) + Bn(i, c4, 1, 1);
        long expected = Stem(192)
            + A(192, 64, 48, 64, 64, 96, 32) + A(256, 64, 48, 64, 64, 96, 64)
            + Bn(288, 256, 3, 3) + Bn(288, 64, 1, 1) + Bn(64, 96, 3, 3) + Bn(96, 96, 3, 3)                       // → 640
            + B(640, 160, 128, 5) + B(640, 160, 160, 5)
            + Bn(640, 160, 1, 1) + Bn(160, 256, 3, 3) + Bn(640, 160, 1, 1) + Bn(160, 160, 1, 5) + Bn(160, 160, 5, 1) + Bn(160, 160, 3, 3)  // → 1056
            + C(1056, 192, 192, 160, 224, 160, 128) + C(960, 192, 192, 160, 224, 160, 128)
            + 960 * 10 + 10;
        Assert.Equal(expected, network.ParameterCount);
        Assert.Equal(7_395_594, network.ParameterCount);  // the figure NetworkArchitecture's documentation states
        // Batch normalisation after every convolution, and no convolution keeps a bias it would cancel.
        Assert.Equal(network.modules().OfType<TorchSharp.Modules.Conv2d>().Count(), network.modules().OfType<TorchSharp.Modules.BatchNorm2d>().Count());
        Assert.DoesNotContain(network.named_parameters(), p => p.name.EndsWith("conv.bias", StringComparison.Ordinal));
    }

    [Fact]
    public void Inception_resnet_has_the_stated_shapes_and_the_parameters_of_its_layer_table()
    {
        using var network = new GoogLeNetNetwork(GoogLeNetConfiguration.Recipe with { Architecture = NetworkArchitecture.InceptionResNet });
        Assert.Equal(
            ["b1 (1,64,24,24)", "b2 (1,256,12,12)", "b3 (1,768,6,6)", "b4 (1,1408,3,3)", "b5 (1,1408,1,1)", "dense (1,10)"],
            Trace(network));

        long a = Bn(256, 32, 1, 1) + Bn(256, 32, 1, 1) + Bn(32, 32, 3, 3) + Bn(256, 32, 1, 1) + Bn(32, 32, 3, 3) + Bn(32, 32, 3, 3)
                 + Projection(96, 256);
        long b = Bn(768, 128, 1, 1) + Bn(768, 128, 1, 1) + Bn(128, 128, 1, 5) + Bn(128, 128, 5, 1) + Projection(256, 768);
        long c = Bn(1408, 192, 1, 1) + Bn(1408, 192, 1, 1) + Bn(192, 192, 1, 3) + Bn(192, 192, 3, 1) + Projection(384, 1408);
        long expected = Stem(256)
            + 3 * a + Bn(256, 256, 3, 3) + Bn(256, 128, 1, 1) + Bn(128, 128, 3, 3) + Bn(128, 256, 3, 3)           // → 768
            + 4 * b + Bn(768, 192, 1, 1) + Bn(192, 256, 3, 3) + Bn(768, 192, 1, 1) + Bn(192, 192, 3, 3)
                    + Bn(768, 192, 1, 1) + Bn(192, 192, 3, 3) + Bn(192, 192, 3, 3)                                // → 1408
            + 2 * c
            + 1408 * 10 + 10;
        Assert.Equal(expected, network.ParameterCount);
        Assert.Equal(8_260_426, network.ParameterCount);

        // The scales are buffers of the state dict, next to the parameters whose names the ONNX initializers share.
        var buffers = network.named_buffers().Where(b => b.name.EndsWith(".scale", StringComparison.Ordinal))
            .ToDictionary(b => b.name, b => b.buffer.item<float>());
        Assert.Equal(9, buffers.Count);
        Assert.Equal(0.17f, buffers["b3.0.scale"]);
        Assert.Equal(0.10f, buffers["b4.3.scale"]);
        Assert.Equal(0.20f, buffers["b5.1.scale"]);
        var names = network.named_parameters().Select(p => p.name).ToHashSet();
        Assert.Contains("b3.0.branches.path3.conv2.conv.weight", names);
        Assert.Contains("b4.1.project.conv.bias", names);
        Assert.Contains("b4.reduction.path3.conv3.bn.weight", names);
    }

    [Theory]
    [InlineData(NetworkArchitecture.GoogLeNet)]
    [InlineData(NetworkArchitecture.GoogLeNetBatchNorm)]
    [InlineData(NetworkArchitecture.InceptionV3)]
    [InlineData(NetworkArchitecture.InceptionResNet)]
    public void Every_architecture_takes_32_pixels_and_refuses_31_naming_the_side(NetworkArchitecture architecture)
    {
        using var network = new GoogLeNetNetwork(new GoogLeNetConfiguration(1, 10, 32, 32, WidthDivisor: 8, architecture));
        var trace = Trace(network);
        Assert.Equal("b1", trace[0][..2]);
        Assert.EndsWith(",1,1)", trace[^2]);  // b5 pools to 1×1
        Assert.Equal("dense (1,10)", trace[^1]);

        var tooSmall = Assert.Throws<ArgumentException>(() => new GoogLeNetNetwork(new GoogLeNetConfiguration(1, 10, 32, 31, Architecture: architecture)));
        Assert.Equal("ImageWidth", tooSmall.ParamName);
        Assert.Contains($"at least 32 pixels for the stride-2 steps of {architecture}; got 31", tooSmall.Message);
    }

    [Fact]
    public void Inception_v3_at_32_pixels_leaves_grids_of_8_4_2_1()
    {
        using var network = new GoogLeNetNetwork(new GoogLeNetConfiguration(1, 10, 32, 32, Architecture: NetworkArchitecture.InceptionV3));
        Assert.Equal(
            ["b1 (1,64,8,8)", "b2 (1,192,4,4)", "b3 (1,640,2,2)", "b4 (1,1056,1,1)", "b5 (1,960,1,1)", "dense (1,10)"],
            Trace(network));
    }

    [Fact]
    public void Residual_block_adds_the_scaled_projection_to_its_input_then_rectifies()
    {
        using var branches = new ParallelPaths("branches",
            FactorizedBlocks.Path(("conv", FactorizedBlocks.Conv(6, 3, (1, 1), batchNorm: false))),
            FactorizedBlocks.Path(("conv", FactorizedBlocks.Conv(6, 2, (1, 3), batchNorm: false))));
        using var block = new ResidualInception("block", 6, branches, 5, residualScale: 0.25);
        block.eval();
        using var scope = NewDisposeScope();
        var input = randn([2, 6, 5, 4], generator: new Generator(4));
        var project = (TorchSharp.Modules.Conv2d)block.named_modules().Single(m => m.name == "project.conv").module;
        using (no_grad())
        {
            var concatenated = branches.call(input);
            Assert.Equal([2L, 5, 5, 4], concatenated.shape);
            var expected = input.add(project.call(concatenated).mul(0.25)).relu();
            Assert.True(block.call(input).allclose(expected, rtol: 1e-5, atol: 1e-6));
        }
        Assert.Equal(0.25, block.ResidualScale, 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ResidualInception("bad", 6, branches, 5, residualScale: 0));
    }

    [Theory]
    [InlineData(NetworkArchitecture.InceptionV3)]
    [InlineData(NetworkArchitecture.InceptionResNet)]
    public void Network_exports_to_onnx_with_the_same_probabilities(NetworkArchitecture architecture)
    {
        // 40×36: odd grids on the way down (20×18, 10×9, 5×5, 3×3, 2×2) exercise the rounding of every halving.
        var configuration = new GoogLeNetConfiguration(3, 5, 40, 36, WidthDivisor: 8, architecture);
        using var network = BatchNormTests.WithRunningStatistics(new GoogLeNetNetwork(configuration, seed: 7), [16, 3, 40, 36]);
        using var input = rand([3, 3, 40, 36], generator: new Generator(9));
        float[] expected = Export.OnnxExporterTests.Probabilities(network, input);

        var stream = new MemoryStream();
        OnnxExporter.Export(network, stream);
        var model = Onnx.ModelProto.Parser.ParseFrom(stream.ToArray());
        Assert.Equal(network.modules().OfType<TorchSharp.Modules.BatchNorm2d>().Count(), model.Graph.Node.Count(n => n.OpType == "BatchNormalization"));
        Assert.Equal(network.modules().OfType<TorchSharp.Modules.Conv2d>().Count(), model.Graph.Node.Count(n => n.OpType == "Conv"));
        Assert.Contains(model.Graph.Node, n => n.OpType == "Conv" && n.Attribute.Single(a => a.Name == "kernel_shape").Ints.SequenceEqual([1L, 3]));
        if (architecture == NetworkArchitecture.InceptionV3)
            Assert.Equal(6, model.Graph.Node.Count(n => n.OpType == "AveragePool"));
        else
        {
            Assert.Equal(9, model.Graph.Node.Count(n => n.OpType == "Add"));
            Assert.Equal(9, model.Graph.Node.Count(n => n.OpType == "Mul"));
        }

        using var session = new InferenceSession(stream.ToArray());
        Export.OnnxExporterTests.AssertClose(expected, Export.OnnxExporterTests.Run(session, "input", input), 1e-4f, architecture.ToString());
    }

    /// <summary>"stage (1,C,H,W)" for each stage of the shape trace.</summary>
    private static List<string> Trace(GoogLeNetNetwork network) =>
        network.TraceShapes().Select(t => $"{t.Stage} ({string.Join(",", t.Shape)})").ToList();
}
