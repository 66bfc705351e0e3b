using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// The Inception block of GoogLeNet: four parallel paths whose outputs are concatenated on the channel axis.
/// Every path keeps the height and width of its input, and a ReLU follows every convolution.
/// <list type="number">
/// <item>1×1 convolution.</item>
/// <item>1×1 convolution, then 3×3 convolution with padding 1.</item>
/// <item>1×1 convolution, then 5×5 convolution with padding 2.</item>
/// <item>3×3 max-pool with stride 1 and padding 1, then 1×1 convolution.</item>
/// </list>
/// </summary>
public sealed class Inception : Module<Tensor, Tensor>
{
    // Each path is a Sequential; its field name and layer names are the state-dict keys ("path2.conv.weight").
    private readonly Sequential path1;
    private readonly Sequential path2;
    private readonly Sequential path3;
    private readonly Sequential path4;

    /// <summary>Creates a block reading <paramref name="inputChannels"/> channels.</summary>
    /// <param name="name">Module name.</param>
    /// <param name="inputChannels">Channels of the block's input.</param>
    /// <param name="channels">Output channels of the four paths.</param>
    /// <exception cref="ArgumentException">A channel count is zero or negative.</exception>
    public Inception(string name, int inputChannels, InceptionChannels channels) : base(name)
    {
        if (inputChannels <= 0)
            throw new ArgumentException($"The input channel count must be positive; got {inputChannels}.", nameof(inputChannels));
        channels.Validate(nameof(channels));
        Channels = channels;
        InputChannels = inputChannels;

        path1 = Sequential(
            ("conv", Conv2d(inputChannels, channels.C1, kernel_size: 1)), ("relu", ReLU()));
        path2 = Sequential(
            ("reduce", Conv2d(inputChannels, channels.C2a, kernel_size: 1)), ("reduce_relu", ReLU()),
            ("conv", Conv2d(channels.C2a, channels.C2b, kernel_size: 3, padding: 1)), ("relu", ReLU()));
        path3 = Sequential(
            ("reduce", Conv2d(inputChannels, channels.C3a, kernel_size: 1)), ("reduce_relu", ReLU()),
            ("conv", Conv2d(channels.C3a, channels.C3b, kernel_size: 5, padding: 2)), ("relu", ReLU()));
        path4 = Sequential(
            ("pool", MaxPool2d(kernel_size: 3, stride: 1, padding: 1)),
            ("conv", Conv2d(inputChannels, channels.C4, kernel_size: 1)), ("relu", ReLU()));
        RegisterComponents();
    }

    /// <summary>Channels of the block's input.</summary>
    public int InputChannels { get; }

    /// <summary>Output channels of the four paths.</summary>
    public InceptionChannels Channels { get; }

    /// <summary>The four paths in concatenation order.</summary>
    internal IReadOnlyList<Sequential> Paths => [path1, path2, path3, path4];

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        // (N, C, H, W) → (N, c1 + c2b + c3b + c4, H, W)
        var output = cat([path1.call(input), path2.call(input), path3.call(input), path4.call(input)], dim: 1);
        return output.MoveToOuterDisposeScope();
    }
}
