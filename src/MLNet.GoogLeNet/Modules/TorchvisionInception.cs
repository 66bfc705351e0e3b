using MLNet.GoogLeNet.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// The Inception block of torchvision's GoogLeNet (<c>torchvision.models.googlenet.Inception</c>), under its names, so
/// that its state-dict keys are torchvision's: <c>branch1</c> a 1×1 convolution; <c>branch2.0</c>, <c>branch2.1</c> a
/// 1×1 reduction then a 3×3 convolution; <c>branch3.0</c>, <c>branch3.1</c> a 1×1 reduction then a 3×3 convolution
/// where the paper has 5×5 (torchvision keeps 3×3 so that its published weights still load); <c>branch4.0</c> a 3×3
/// max-pool of stride 1 (no keys) then <c>branch4.1</c> a 1×1 convolution. Every convolution is torchvision's
/// BasicConv2d: without bias, then batch normalisation with ε = <see cref="BatchNormEpsilon"/>, then ReLU
/// (<see cref="ConvUnit"/>).
/// </summary>
internal sealed class TorchvisionInception : Module<Tensor, Tensor>, IOnnxModule
{
    /// <summary>torchvision's BasicConv2d adds 0.001 to the variance, not PyTorch's default 1e-5.</summary>
    public const double BatchNormEpsilon = 0.001;

    private readonly ConvUnit branch1;
    private readonly Sequential branch2;
    private readonly Sequential branch3;
    private readonly Sequential branch4;

    /// <param name="name">Module name.</param>
    /// <param name="inputChannels">Channels of the block's input.</param>
    /// <param name="channels">Output channels of the four branches, as torchvision writes them (ch1x1, ch3x3red, ch3x3,
    /// ch5x5red, ch5x5, pool_proj).</param>
    public TorchvisionInception(string name, int inputChannels, InceptionChannels channels) : base(name)
    {
        channels.Validate(nameof(channels));
        branch1 = BasicConv2d(inputChannels, channels.C1, 1);
        branch2 = Sequential(("0", BasicConv2d(inputChannels, channels.C2a, 1)), ("1", BasicConv2d(channels.C2a, channels.C2b, 3, padding: 1)));
        branch3 = Sequential(("0", BasicConv2d(inputChannels, channels.C3a, 1)), ("1", BasicConv2d(channels.C3a, channels.C3b, 3, padding: 1)));
        branch4 = Sequential(
            ("0", MaxPool2d(kernel_size: 3, stride: 1, padding: 1, ceil_mode: true)),
            ("1", BasicConv2d(inputChannels, channels.C4, 1)));
        RegisterComponents();
    }

    /// <summary>torchvision's BasicConv2d: a convolution without bias, batch normalisation (ε 0.001), ReLU.</summary>
    internal static ConvUnit BasicConv2d(int input, int output, int kernel, int stride = 1, int padding = 0) =>
        new(input, output, kernel, batchNorm: true, activation: true, stride: stride, padding: padding, batchNormEpsilon: BatchNormEpsilon);

    private (string Name, Module<Tensor, Tensor> Branch)[] Branches =>
        [(nameof(branch1), branch1), (nameof(branch2), branch2), (nameof(branch3), branch3), (nameof(branch4), branch4)];

    /// <summary>(N, C, H, W) → (N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W): the four branches concatenated.</summary>
    public override Tensor forward(Tensor input) => ParallelPaths.Concatenate(Branches.Select(b => b.Branch), input);

    /// <summary>The four branches on the same input, then Concat on the channel axis, as <see cref="forward"/>.</summary>
    public string EmitOnnx(OnnxScope scope, string input, string? output) =>
        ParallelPaths.EmitConcatenation(scope, Branches, input, output);
}
