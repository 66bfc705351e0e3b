using MLNet.GoogLeNet.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// The Inception block of GoogLeNet: four parallel paths whose outputs are concatenated on the channel axis.
/// Every path keeps the height and width of its input, and a ReLU follows every convolution (with batch
/// normalisation between them in the batch-normalised architecture).
/// <list type="number">
/// <item>1×1 convolution.</item>
/// <item>1×1 convolution, then 3×3 convolution with padding 1.</item>
/// <item>1×1 convolution, then 5×5 convolution with padding 2.</item>
/// <item>3×3 max-pool with stride 1 and padding 1, then 1×1 convolution.</item>
/// </list>
/// </summary>
public sealed class Inception : Module<Tensor, Tensor>, IOnnxModule
{
    // Each path is a Sequential; its field name and layer names are the state-dict keys ("path2.conv.conv.weight").
    private readonly Sequential path1;
    private readonly Sequential path2;
    private readonly Sequential path3;
    private readonly Sequential path4;

    /// <summary>Creates a block reading <paramref name="inputChannels"/> channels.</summary>
    /// <param name="name">Module name.</param>
    /// <param name="inputChannels">Channels of the block's input.</param>
    /// <param name="channels">Output channels of the four paths.</param>
    /// <param name="batchNorm">Batch normalisation after every convolution, before its ReLU.</param>
    /// <exception cref="ArgumentException">A channel count is zero or negative.</exception>
    public Inception(string name, int inputChannels, InceptionChannels channels, bool batchNorm = false) : base(name)
    {
        if (inputChannels <= 0)
            throw new ArgumentException($"The input channel count must be positive; got {inputChannels}.", nameof(inputChannels));
        channels.Validate(nameof(channels));
        Channels = channels;
        InputChannels = inputChannels;

        ConvUnit Conv(int input, int output, int kernel, int padding = 0) =>
            new(input, output, kernel, batchNorm, activation: true, padding: padding);
        path1 = Sequential(
            ("conv", Conv(inputChannels, channels.C1, 1)));
        path2 = Sequential(
            ("reduce", Conv(inputChannels, channels.C2a, 1)),
            ("conv", Conv(channels.C2a, channels.C2b, 3, padding: 1)));
        path3 = Sequential(
            ("reduce", Conv(inputChannels, channels.C3a, 1)),
            ("conv", Conv(channels.C3a, channels.C3b, 5, padding: 2)));
        path4 = Sequential(
            ("pool", MaxPool2d(kernel_size: 3, stride: 1, padding: 1)),
            ("conv", Conv(inputChannels, channels.C4, 1)));
        RegisterComponents();
    }

    /// <summary>Channels of the block's input.</summary>
    public int InputChannels { get; }

    /// <summary>Output channels of the four paths.</summary>
    public InceptionChannels Channels { get; }

    /// <summary>The four paths in concatenation order, with the names that are their state-dict keys.</summary>
    private (string Name, Sequential Path)[] Paths => [("path1", path1), ("path2", path2), ("path3", path3), ("path4", path4)];

    /// <summary>(N, C, H, W) → (N, c1 + c2b + c3b + c4, H, W): the four paths on the same input, concatenated.</summary>
    public override Tensor forward(Tensor input) => ParallelPaths.Concatenate(Paths.Select(p => p.Path), input);

    /// <summary>The four paths on the same input, then Concat on the channel axis, as <see cref="forward"/>.</summary>
    string IOnnxModule.EmitOnnx(OnnxScope scope, string input, string? output) =>
        ParallelPaths.EmitConcatenation(scope, Paths, input, output);
}
