using Microsoft.ML;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Native;
using MLNet.GoogLeNet.Tests.TestData;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Modules;

/// <summary>
/// The library's convolutions give on this CPU, in float32, the values they give in float64 (which libtorch computes
/// without oneDNN), and run channels-last on the CPU whatever layout their weights are in (ConvolutionLayout). On a CPU
/// whose oneDNN convolution is right these comparisons pass with the guards or without them; on one where it is wrong
/// (AMD Zen 5: docs/troubleshooting.md) they are what proves the guards. The matrix-product path such a CPU takes
/// (GemmConvolution) is checked on every CPU by forcing it. The layout assertions fail on any CPU when the layout guard
/// is taken out.
/// </summary>
public sealed class ConvolutionPathTests
{
    [Fact]
    public void Every_channel_count_and_kernel_gives_the_float64_values_forward_and_backward_channels_last()
    {
        AssertProbeRight(ConvolutionProbe.Run());
    }

    [Fact]
    public void Without_onednn_every_channel_count_and_kernel_gives_the_float64_values_forward_and_backward_channels_last()
    {
        // The matrix-product path that CPUs with oneDNN's fault take, checked on every CPU.
        using var force = ConvolutionFault.Force(avoidOneDnn: true);
        AssertProbeRight(ConvolutionProbe.Run(seed: 4));
    }

    private static void AssertProbeRight(IReadOnlyList<ConvolutionProbe.Result> results)
    {
        Assert.Equal(ConvolutionProbe.InputChannels.Count * ConvolutionProbe.OutputChannels.Count * ConvolutionProbe.KernelSizes.Count * 2, results.Count);
        Assert.Equal([3, 8, 12, 16, 20, 24, 28, 40, 56, 112], ConvolutionProbe.InputChannels);
        Assert.Equal([32, 112], ConvolutionProbe.OutputChannels);
        Assert.Equal([1, 3, 5, 7], ConvolutionProbe.KernelSizes);
        var wrong = results.Where(r => !r.Right).Select(r =>
            $"{r.InputChannels} → {r.OutputChannels} channels {r.KernelSize}×{r.KernelSize} {r.Layout}: output {r.Output:G3}, input gradient {r.InputGradient:G3}, weight gradient {r.WeightGradient:G3} of the allowance");
        Assert.Empty(wrong);
        var plain = results.Where(r => !r.OutputChannelsLast).Select(r => $"{r.InputChannels} → {r.OutputChannels} channels {r.KernelSize}×{r.KernelSize} {r.Layout}");
        Assert.Empty(plain);
    }

    [Fact]
    public void Amd_zen_5_is_known_by_name_and_family()
    {
        Assert.True(ConvolutionFault.IsKnownAffected(new CpuDescription("AMD EPYC 9B45 128-Core Processor", 26, 2, new HashSet<string>())));
        Assert.False(ConvolutionFault.IsKnownAffected(new CpuDescription("AMD EPYC 9B14", 25, 17, new HashSet<string>())));
        Assert.False(ConvolutionFault.IsKnownAffected(new CpuDescription("Intel(R) Xeon(R) Platinum 8581C CPU", 6, 207, new HashSet<string>())));
        if (ConvolutionFault.IsKnownAffected(CpuDescription.Current))
            Assert.True(ConvolutionFault.OnThisCpu);
    }

    [UnguardedOneDnnFact]
    public void The_fault_probe_agrees_with_a_sweep_of_onednn_convolutions()
    {
        // libtorch's own convolution, unguarded, over channel counts and kernels in both layouts: where the library's
        // probe finds no fault, every one must be right; where it finds one, the sweep must find wrong ones too.
        using var generator = new Generator(12);
        var wrong = new List<string>();
        int total = 0;
        foreach (int kernel in new[] { 1, 3, 5 })
        foreach (int inputChannels in new[] { 16, 24, 40, 64 })
        foreach (int outputChannels in new[] { 32, 48, 80, 96, 112, 144, 176, 208 })
        foreach (bool channelsLast in new[] { true, false })
        {
            total++;
            if (!(ConvolutionProbe.Unguarded(inputChannels, outputChannels, kernel, channelsLast, batch: 4, size: 7, generator) <= 1))
                wrong.Add($"{inputChannels} → {outputChannels} channels {kernel}×{kernel} {(channelsLast ? "channels-last" : "plain")}");
        }
        // Off Zen 5 (see the attribute) the probe alone decides whether this CPU has the fault.
        if (ConvolutionFault.OnThisCpu)
            Assert.True(wrong.Count > 0, $"the probe found oneDNN's convolution wrong here, but all {total} shapes of the sweep were right");
        else
            Assert.True(wrong.Count == 0, $"the probe found no fault, but {wrong.Count} of {total} shapes were wrong: {string.Join(", ", wrong.Take(8))}");
    }

    [Fact]
    public void The_probe_finds_a_wrong_value()
    {
        // The allowance is tight enough to see a float32 rounding of the float64 values scaled by 1.0001.
        using var scope = NewDisposeScope();
        var expected = linspace(-3, 5, 100, dtype: float64);
        Assert.True(ConvolutionProbe.Deviation(expected.to(float32), expected) <= 1);
        Assert.True(ConvolutionProbe.Deviation(expected.mul(1.0001).to(float32), expected) > 1);
        Assert.True(double.IsNaN(ConvolutionProbe.Deviation(expected.where(expected < 4, double.NaN), expected)));
    }

    public static TheoryData<NetworkArchitecture, int> Architectures(int[] widthDivisors)
    {
        var data = new TheoryData<NetworkArchitecture, int>();
        foreach (var architecture in Enum.GetValues<NetworkArchitecture>())
        foreach (int divisor in widthDivisors)
            data.Add(architecture, divisor);
        return data;
    }

    [Theory]
    [MemberData(nameof(Architectures), new[] { 1, 4, 8, 16 })]
    public void Every_architecture_gives_its_float64_logits_in_both_weight_layouts(NetworkArchitecture architecture, int widthDivisor)
    {
        using var scope = NewDisposeScope();
        var (network, images, expected) = OddSizedNetwork(architecture, widthDivisor);
        using var owned = network;

        // Standard weights, as a network is built (info, the importer); then channels-last, as training and scoring hold them.
        AssertWithinAllowance(expected, LogitsRecordingLayouts(network, images, out var plainOutputs, out _), $"{architecture} ÷{widthDivisor}, standard weights");
        Assert.Empty(plainOutputs);
        network.UseChannelsLast(true);
        Assert.True(network.IsChannelsLast);
        AssertWithinAllowance(expected, LogitsRecordingLayouts(network, images, out plainOutputs, out _), $"{architecture} ÷{widthDivisor}, channels-last weights");
        Assert.Empty(plainOutputs);
    }

    [Theory]
    [MemberData(nameof(Architectures), new[] { 1, 8 })]
    public void Without_onednn_every_architecture_gives_its_float64_logits_and_no_convolution_module_runs(NetworkArchitecture architecture, int widthDivisor)
    {
        using var scope = NewDisposeScope();
        var (network, images, expected) = OddSizedNetwork(architecture, widthDivisor);
        using var owned = network;
        using var force = ConvolutionFault.Force(avoidOneDnn: true);
        network.UseChannelsLast(true);
        var logits = LogitsRecordingLayouts(network, images, out _, out int convolutionCalls);
        AssertWithinAllowance(expected, logits, $"{architecture} ÷{widthDivisor} without oneDNN");
        Assert.Equal(0, convolutionCalls);
    }

    [Theory]
    [InlineData(NetworkArchitecture.GoogLeNet)]
    [InlineData(NetworkArchitecture.GoogLeNetBatchNorm)]
    [InlineData(NetworkArchitecture.InceptionV3)]
    [InlineData(NetworkArchitecture.InceptionResNet)]
    public void After_Fit_the_network_scores_its_float64_logits_channels_last_even_when_told_otherwise(NetworkArchitecture architecture)
    {
        using var images = PatternImages.Create(trainPerClass: 8, testPerClass: 0, size: 36, seed: 4);
        var context = new MLContext(seed: 2);
        // ChannelsLast = false asks for the standard layout, which a CPU does not get (GoogLeNetTrainerOptions.ChannelsLast).
        var options = new GoogLeNetTrainerOptions { Architecture = architecture, Epochs = 1, BatchSize = 8, WidthDivisor = 8, ChannelsLast = false };
        var model = PatternImages.Preprocessing(context, 36)
            .Append(context.MulticlassClassification.Trainers.GoogLeNet(context, options))
            .Fit(context.Data.LoadFromEnumerable(images.Train));
        using var transformer = ((IEnumerable<ITransformer>)model).OfType<GoogLeNetTransformer>().Single();
        Assert.True(transformer.Network.IsChannelsLast);
        Assert.All(transformer.TrainingHistory, epoch => Assert.True(double.IsFinite(epoch.Loss), $"loss {epoch.Loss}"));

        using var scope = NewDisposeScope();
        var batch = rand([6, 1, 36, 36], generator: new Generator(8));
        var expected = Float64Logits(transformer.Network, batch);
        AssertWithinAllowance(expected, LogitsRecordingLayouts(transformer.Network, batch, out var plainOutputs, out _), $"{architecture} after Fit");
        Assert.Empty(plainOutputs);
    }

    /// <summary>
    /// A network of <paramref name="architecture"/> in scoring mode with normalisation away from the identity, four
    /// images of 40×36 with three channels (not square and not a multiple of 32: every stage sees odd sizes; larger by
    /// as much as the architecture's smallest size is above 32), and its float64 logits for them; the tensors belong to
    /// the caller's dispose scope.
    /// </summary>
    private static (GoogLeNetNetwork Network, Tensor Images, Tensor Expected) OddSizedNetwork(NetworkArchitecture architecture, int widthDivisor)
    {
        int extra = ArchitectureTable.Of(architecture).MinimumImageSize - GoogLeNetConfiguration.MinimumImageSize;
        int height = 40 + extra, width = 36 + extra;
        var configuration = new GoogLeNetConfiguration(3, 10, height, width, widthDivisor, architecture);
        var network = new GoogLeNetNetwork(configuration, seed: 5, WeightInitialization.Kaiming);
        RandomiseNormalisation(network, seed: 6);
        network.eval();
        var images = rand([4, 3, height, width], generator: new Generator(7));
        return (network, images, Float64Logits(network, images));
    }

    /// <summary>
    /// The logits of a float64 copy of <paramref name="network"/> (same configuration and state), in scoring mode, by
    /// libtorch's own float64 convolution: a reference independent of the matrix products a CPU with oneDNN's fault uses.
    /// </summary>
    private static Tensor Float64Logits(GoogLeNetNetwork network, Tensor images)
    {
        using var copy = new GoogLeNetNetwork(network.Configuration);
        copy.load_state_dict(network.state_dict());
        copy.to(float64);
        copy.eval();
        using var noGrad = no_grad();
        using var libtorch = ConvolutionFault.Force(avoidOneDnn: false);  // float64 convolutions never run in oneDNN
        return copy.call(images.to(float64)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The network's float32 logits, the convolutions whose output did not come out channels-last (libtorch's plain
    /// path) while computing them, and how many times a convolution module ran (libtorch's convolution, not the matrix products).
    /// </summary>
    private static Tensor LogitsRecordingLayouts(GoogLeNetNetwork network, Tensor images, out List<string> plainOutputs, out int convolutionCalls)
    {
        var plain = new List<string>();
        int calls = 0;
        var hooks = network.named_modules()
            .Where(m => m.module is Conv2d)
            .Select(m => ((Conv2d)m.module).register_forward_hook((_, _, output) =>
            {
                calls++;
                if (!ConvolutionLayout.IsChannelsLast(output))
                    plain.Add($"{m.name} {string.Join("×", output.shape)}");
                return output;
            }))
            .ToList();
        try
        {
            using var noGrad = no_grad();
            var logits = network.call(images);
            plainOutputs = plain;
            convolutionCalls = calls;
            return logits;
        }
        finally
        {
            foreach (var hook in hooks)
                hook.remove();
        }
    }

    private static void AssertWithinAllowance(Tensor expected, Tensor actual, string what)
    {
        double largest = expected.abs().max().item<double>();
        double difference = actual.to(float64).sub(expected).abs().max().item<double>();
        Assert.True(largest > 1e-3, $"{what}: the logits are all near zero ({largest}), so the comparison would say nothing");
        Assert.True(difference <= ConvolutionProbe.RelativeTolerance * largest + ConvolutionProbe.AbsoluteTolerance,
            $"{what}: float32 logits differ from float64 by {difference:G3} (largest logit {largest:G3})");
    }

    /// <summary>Running statistics, scale and shift away from the identity, so that scoring mode normalises for real.</summary>
    private static void RandomiseNormalisation(GoogLeNetNetwork network, int seed)
    {
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)seed);
        foreach (var bn in network.modules().OfType<BatchNorm2d>())
        {
            long channels = bn.running_mean!.shape[0];
            bn.running_mean.copy_(randn(channels, generator: generator).mul_(0.1));
            bn.running_var!.copy_(rand(channels, generator: generator).add_(0.5));
            bn.weight!.copy_(rand(channels, generator: generator).add_(0.5));
            bn.bias!.copy_(randn(channels, generator: generator).mul_(0.1));
        }
    }
}
