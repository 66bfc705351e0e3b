using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Modules;

/// <summary>The batch-normalised GoogLeNet: training against scoring behaviour, running statistics, size and export.</summary>
public class BatchNormTests
{
    private static readonly GoogLeNetConfiguration SmallBatchNorm =
        new(3, 5, 40, 36, WidthDivisor: 8, Architecture: NetworkArchitecture.GoogLeNetBatchNorm);

    [Fact]
    public void Training_normalises_with_batch_statistics_and_updates_the_running_ones_by_the_momentum()
    {
        using var unit = new ConvUnit(2, 3, 3, batchNorm: true, activation: false, padding: 1);
        using var scope = NewDisposeScope();
        var input = randn([16, 2, 6, 6], generator: new Generator(3)).mul(3).add(5);
        Tensor convolved;
        using (no_grad())
            convolved = unit.Convolution.call(input);

        unit.train();
        var trained = unit.call(input);
        // Batch statistics: each channel of the output has mean 0 and (biased) variance 1 over N, H, W.
        var mean = trained.mean([0, 2, 3]);
        var variance = trained.var([0, 2, 3], unbiased: false);
        Assert.True(mean.abs().max().item<float>() < 1e-4, $"channel means {mean.str()}");
        Assert.True(variance.sub(1).abs().max().item<float>() < 1e-3, $"channel variances {variance.str()}");

        // Running statistics start at mean 0, variance 1 and move by the momentum (0.1) towards the batch's
        // mean and unbiased variance.
        var bn = unit.Normalization!;
        var batchMean = convolved.mean([0, 2, 3]);
        var batchVariance = convolved.var([0, 2, 3], unbiased: true);
        Assert.True(bn.running_mean!.allclose(batchMean.mul(ConvUnit.BatchNormMomentum), rtol: 1e-4, atol: 1e-5));
        Assert.True(bn.running_var!.allclose(batchVariance.mul(ConvUnit.BatchNormMomentum).add(1 - ConvUnit.BatchNormMomentum), rtol: 1e-4, atol: 1e-5));

        // Scoring uses the running statistics, not the batch's: the same input gives another output, and scoring
        // does not move the statistics.
        unit.eval();
        var runningBefore = bn.running_mean!.clone();
        Tensor scored;
        using (no_grad())
            scored = unit.call(input);
        var expected = convolved.sub(bn.running_mean!.view(1, -1, 1, 1))
            .div(bn.running_var!.add(ConvUnit.BatchNormEpsilon).sqrt().view(1, -1, 1, 1));
        Assert.True(scored.allclose(expected, rtol: 1e-4, atol: 1e-4));
        Assert.False(scored.allclose(trained, rtol: 1e-2, atol: 1e-2));
        Assert.True(bn.running_mean!.eq(runningBefore).all().item<bool>());
    }

    [Fact]
    public void Batch_normalised_network_has_the_recipe_shapes_and_a_normalisation_for_every_convolution()
    {
        using var recipe = new GoogLeNetNetwork(GoogLeNetConfiguration.Recipe);
        using var batchNorm = new GoogLeNetNetwork(GoogLeNetConfiguration.Recipe with { Architecture = NetworkArchitecture.GoogLeNetBatchNorm });
        Assert.Equal(recipe.TraceShapes().Select(t => (t.Stage, string.Join(",", t.Shape))),
            batchNorm.TraceShapes().Select(t => (t.Stage, string.Join(",", t.Shape))));

        // Counted from the recipe's channel table: every convolution's output channels. With normalisation a
        // convolution loses its bias (c values) and gains a scale and a shift (2c values): c more per convolution.
        int[][] inception =
        [
            [64, 96, 128, 16, 32, 32], [128, 128, 192, 32, 96, 64],
            [192, 96, 208, 16, 48, 64], [160, 112, 224, 24, 64, 64], [128, 128, 256, 24, 64, 64],
            [112, 144, 288, 32, 64, 64], [256, 160, 320, 32, 128, 128],
            [256, 160, 320, 32, 128, 128], [384, 192, 384, 48, 128, 128],
        ];
        long convolutionOutputs = 64 + 64 + 192 + inception.Sum(block => block.Sum());
        Assert.Equal(5_977_530, recipe.ParameterCount);
        Assert.Equal(5_977_530 + convolutionOutputs, batchNorm.ParameterCount);
        Assert.Equal(57, batchNorm.modules().OfType<TorchSharp.Modules.BatchNorm2d>().Count());  // 3 + 9 blocks × 6
        Assert.DoesNotContain(batchNorm.named_parameters(), p => p.name.EndsWith("conv.bias", StringComparison.Ordinal));
    }

    [Fact]
    public void Batch_normalised_network_exports_each_normalisation_with_its_running_statistics()
    {
        using var network = WithRunningStatistics(new GoogLeNetNetwork(SmallBatchNorm, seed: 5), [16, 3, 40, 36]);
        using var input = rand([3, 3, 40, 36], generator: new Generator(8));
        float[] expected = Export.OnnxExporterTests.Probabilities(network, input);

        var stream = new MemoryStream();
        OnnxExporter.Export(network, stream);
        var model = Onnx.ModelProto.Parser.ParseFrom(stream.ToArray());
        Assert.Equal(57, model.Graph.Node.Count(n => n.OpType == "Conv"));
        var normalisations = model.Graph.Node.Where(n => n.OpType == "BatchNormalization").ToList();
        Assert.Equal(57, normalisations.Count);
        // Each reads its convolution and the unit's statistics under their state-dict keys.
        var first = normalisations[0];
        Assert.Equal(["b1.conv.bn.weight", "b1.conv.bn.bias", "b1.conv.bn.running_mean", "b1.conv.bn.running_var"], first.Input.Skip(1));
        var runningVar = model.Graph.Initializer.Single(i => i.Name == "b1.conv.bn.running_var");
        Assert.Equal(network.state_dict()["b1.conv.bn.running_var"].data<float>().ToArray(), runningVar.FloatData.Count > 0
            ? runningVar.FloatData.ToArray()
            : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(runningVar.RawData.Span).ToArray());

        using var session = new InferenceSession(stream.ToArray());
        Export.OnnxExporterTests.AssertClose(expected, Export.OnnxExporterTests.Run(session, "input", input), 1e-4f, "batch-normalised network");
    }

    /// <summary>
    /// <paramref name="module"/> after a few training-mode passes over random batches of <paramref name="shape"/>, so
    /// that its running statistics are far from the identity, then in evaluation mode.
    /// </summary>
    internal static T WithRunningStatistics<T>(T module, long[] shape) where T : nn.Module<Tensor, Tensor>
    {
        using var scope = NewDisposeScope();
        module.train();
        using (no_grad())
        {
            for (int i = 0; i < 5; i++)
                module.call(randn(shape, generator: new Generator((ulong)i + 1)).mul(2).add(0.5));
        }
        module.eval();
        return module;
    }
}
