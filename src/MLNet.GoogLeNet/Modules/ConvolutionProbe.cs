using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// Checks the library's convolution path on this machine: a <see cref="ConvUnit"/> computes in float32 what the same
/// unit computes in float64 (which libtorch runs without oneDNN), for its output and for the gradients of its input and
/// weight, with the weight in each layout the library holds it in (<see cref="ConvolutionLayout"/>). For comparison it
/// also runs libtorch's own plain-layout convolution, unguarded: that column tells whether this CPU has the fault the
/// guard is for (docs/troubleshooting.md), not whether the library is right.
/// </summary>
internal static class ConvolutionProbe
{
    /// <summary>Input channel counts probed: around and between the multiples of 16 that oneDNN blocks channels by.</summary>
    public static IReadOnlyList<int> InputChannels { get; } = [3, 8, 12, 16, 20, 24, 28, 40, 56, 112];

    /// <summary>
    /// Output channel counts probed: a multiple of 32, and 112, which oneDNN's channels-last kernels get wrong on AMD Zen 5.
    /// </summary>
    public static IReadOnlyList<int> OutputChannels { get; } = [32, 112];

    /// <summary>Square kernel sizes probed: the 1×1 reductions and the 3×3, 5×5 and 7×7 convolutions of the networks.</summary>
    public static IReadOnlyList<int> KernelSizes { get; } = [1, 3, 5, 7];

    /// <summary>Allowed difference from float64: this fraction of the largest float64 magnitude, plus <see cref="AbsoluteTolerance"/>.</summary>
    public const double RelativeTolerance = 1e-5;

    /// <summary>Allowed difference from float64 on top of the relative part.</summary>
    public const double AbsoluteTolerance = 1e-6;

    /// <summary>How the weight was laid out in one probe.</summary>
    public enum WeightLayout
    {
        /// <summary>Channels-last, as networks hold them on a CPU.</summary>
        ChannelsLast,

        /// <summary>The standard contiguous order (a network not laid out): the guard relays the input.</summary>
        Standard,
    }

    /// <summary>
    /// One probe: the largest differences from float64, each divided by its allowance, so that 1 is the limit; and
    /// whether the output came out channels-last, which shows that libtorch took its channels-last path.
    /// </summary>
    public sealed record Result(int InputChannels, int OutputChannels, int KernelSize, WeightLayout Layout, double Output, double InputGradient,
        double WeightGradient, bool OutputChannelsLast)
    {
        /// <summary>The worst of the three, as a fraction of its allowance.</summary>
        public double Worst => Math.Max(Output, Math.Max(InputGradient, WeightGradient));

        /// <summary>Every value within its allowance (NaN is not).</summary>
        public bool Right => Worst <= 1;
    }

    /// <summary>Probes every input and output channel count and kernel size in both weight layouts.</summary>
    public static IReadOnlyList<Result> Run(int seed = 3) =>
        [.. from channels in InputChannels
            from outputChannels in OutputChannels
            from kernel in KernelSizes
            from layout in new[] { WeightLayout.ChannelsLast, WeightLayout.Standard }
            select Probe(channels, outputChannels, kernel, layout, seed)];

    /// <summary>
    /// A <see cref="ConvUnit"/> of <paramref name="inputChannels"/> → <paramref name="outputChannels"/> channels with a
    /// <paramref name="kernelSize"/>×<paramref name="kernelSize"/> kernel (same padding, bias, no normalisation or
    /// activation) on a batch of 8 images of 12×12, forward and backward, in float32 on the CPU against float64.
    /// </summary>
    public static Result Probe(int inputChannels, int outputChannels, int kernelSize, WeightLayout layout, int seed = 3)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        using var unit = new ConvUnit(inputChannels, outputChannels, kernelSize, batchNorm: false, activation: false, padding: kernelSize / 2);
        using var reference = new ConvUnit(inputChannels, outputChannels, kernelSize, batchNorm: false, activation: false, padding: kernelSize / 2);
        using (no_grad())
        {
            unit.Convolution.weight.copy_(randn(unit.Convolution.weight.shape, generator: generator).div_(Math.Sqrt(inputChannels * kernelSize * kernelSize)));
            unit.Convolution.bias!.copy_(randn(outputChannels, generator: generator).mul_(0.1));
        }
        reference.load_state_dict(unit.state_dict());
        reference.to(float64);
        unit.UseChannelsLast(layout == WeightLayout.ChannelsLast);

        var input = randn([8, inputChannels, 12, 12], generator: generator);
        var upstream = randn([8, outputChannels, 12, 12], generator: generator);
        var (output, inputGradient, weightGradient) = ForwardBackward(unit, input, upstream);
        // libtorch's own float64 convolution (oneDNN has none), not the matrix products the library may use: an independent reference.
        Tensor expected, expectedInputGradient, expectedWeightGradient;
        using (ConvolutionFault.Force(avoidOneDnn: false))
            (expected, expectedInputGradient, expectedWeightGradient) = ForwardBackward(reference, input.to(float64), upstream.to(float64));
        return new Result(inputChannels, outputChannels, kernelSize, layout,
            Deviation(output, expected), Deviation(inputGradient, expectedInputGradient), Deviation(weightGradient, expectedWeightGradient),
            ConvolutionLayout.IsChannelsLast(output));
    }

    private static (Tensor Output, Tensor InputGradient, Tensor WeightGradient) ForwardBackward(ConvUnit unit, Tensor input, Tensor upstream)
    {
        var leaf = input.detach().requires_grad_(true);
        unit.zero_grad();
        var output = unit.call(leaf);
        autograd.backward([output], [upstream]);
        return (output.detach(), leaf.grad!, unit.Convolution.weight.grad!);
    }

    /// <summary>Largest |actual − expected| divided by the allowance for <paramref name="expected"/>; NaN stays NaN.</summary>
    internal static double Deviation(Tensor actual, Tensor expected)
    {
        using var scope = NewDisposeScope();
        var reference = expected.to(float64);
        double allowance = RelativeTolerance * reference.abs().max().item<double>() + AbsoluteTolerance;
        return actual.to(float64).sub(reference).abs().max().item<double>() / allowance;
    }

    /// <summary>
    /// libtorch's convolution called directly, unguarded, on a batch of <paramref name="batch"/> images of
    /// <paramref name="size"/>×<paramref name="size"/> (same padding, no bias), with input and weight channels-last or in
    /// the plain layout: the largest error against float64, divided by the same allowance. Above 1 on a CPU with the
    /// fault the library avoids.
    /// </summary>
    public static double Unguarded(int inputChannels, int outputChannels, int kernelSize, bool channelsLast, int batch, int size, Generator generator)
    {
        using var scope = NewDisposeScope();
        var input = randn([batch, inputChannels, size, size], generator: generator);
        var weight = randn([outputChannels, inputChannels, kernelSize, kernelSize], generator: generator).div_(Math.Sqrt(inputChannels * kernelSize * kernelSize));
        if (channelsLast)
            (input, weight) = (ConvolutionLayout.ToChannelsLast(input), ConvolutionLayout.ToChannelsLast(weight));
        long[] padding = [kernelSize / 2, kernelSize / 2];
        using var noGrad = no_grad();
        return Deviation(nn.functional.conv2d(input, weight, padding: padding),
            nn.functional.conv2d(input.to(float64).contiguous(), weight.to(float64).contiguous(), padding: padding));
    }

    /// <summary>
    /// <see cref="Unguarded"/> in the plain layout, <paramref name="inputChannels"/> → 32 channels on 8 images of 12×12:
    /// the layout whose fault <c>googlenet doctor</c> reports beside the library's own path.
    /// </summary>
    public static double UnguardedPlainLayout(int inputChannels, int kernelSize, int seed = 3)
    {
        using var generator = new Generator((ulong)seed);
        return Unguarded(inputChannels, 32, kernelSize, channelsLast: false, batch: 8, size: 12, generator);
    }
}
