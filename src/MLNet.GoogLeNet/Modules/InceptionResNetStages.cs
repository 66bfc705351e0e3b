using static TorchSharp.torch.nn;
using static MLNet.GoogLeNet.Modules.FactorizedBlocks;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// The stages of <see cref="NetworkArchitecture.InceptionResNet"/>: an Inception-ResNet-style network (Szegedy et al.
/// 2017, the Inception-ResNet-v1 layout) sized for small grayscale images. Batch normalisation follows every
/// convolution except the residual projections, which are linear.
/// </summary>
/// <remarks>
/// The stem is <see cref="InceptionV3Stages"/>'s, ending at 256 channels, the width of the first residual blocks.
/// Three, four and two residual blocks rather than the paper's five, ten and five keep the network near GoogLeNet's
/// parameter budget; the residual scales (0.17, 0.10, 0.20) lie in the 0.1 to 0.3 the paper recommends.
/// </remarks>
internal static class InceptionResNetStages
{
    /// <summary>The residual scales of the blocks in b3, b4 and b5.</summary>
    public const double ScaleA = 0.17, ScaleB = 0.10, ScaleC = 0.20;

    public static NetworkStages Build(GoogLeNetConfiguration configuration)
    {
        int Width(int channels) => InceptionChannels.Divide(channels, configuration.WidthDivisor);
        const bool bn = true;
        int n = InceptionV3Stages.AsymmetricKernel;

        // b1, b2: the stem → (N, 256, H/8, W/8).
        var (b1, b2) = InceptionV3Stages.Stem(configuration, Width(256));
        int stemOut = Width(256);

        // b3: three residual blocks with the branches 1×1 32 | 1×1 32 → 3×3 32 | 1×1 32 → 3×3 32 → 3×3 32, then a
        // reduction → (N, 256 + 256 + 256 = 768, H/16, W/16).
        ResidualInception BlockA(int i) => new($"inception{i}", stemOut, new ParallelPaths("branches",
                Path(("conv", Conv(stemOut, Width(32), (1, 1), bn))),
                Path(("reduce", Conv(stemOut, Width(32), (1, 1), bn)), ("conv", Conv(Width(32), Width(32), (3, 3), bn))),
                Path(("reduce", Conv(stemOut, Width(32), (1, 1), bn)), ("conv1", Conv(Width(32), Width(32), (3, 3), bn)),
                    ("conv2", Conv(Width(32), Width(32), (3, 3), bn)))),
            3 * Width(32), ScaleA);
        var (reduceA, b3Out) = GridReduction("reduction", stemOut, bn,
            [(Width(256), (3, 3))],
            [(Width(128), (1, 1)), (Width(128), (3, 3)), (Width(256), (3, 3))]);
        var b3 = Sequential(("0", BlockA(0)), ("1", BlockA(1)), ("2", BlockA(2)), ("reduction", reduceA));

        // b4: four residual blocks with the branches 1×1 128 | 1×1 128 → 1×n 128 → n×1 128, then a reduction →
        // (N, 768 + 256 + 192 + 192 = 1408, H/32, W/32).
        ResidualInception BlockB(int i) => new($"inception{i}", b3Out, new ParallelPaths("branches",
                Path(("conv", Conv(b3Out, Width(128), (1, 1), bn))),
                Path(("reduce", Conv(b3Out, Width(128), (1, 1), bn)), ("conv1", Conv(Width(128), Width(128), (1, n), bn)),
                    ("conv2", Conv(Width(128), Width(128), (n, 1), bn)))),
            2 * Width(128), ScaleB);
        var (reduceB, b4Out) = GridReduction("reduction", b3Out, bn,
            [(Width(192), (1, 1)), (Width(256), (3, 3))],
            [(Width(192), (1, 1)), (Width(192), (3, 3))],
            [(Width(192), (1, 1)), (Width(192), (3, 3)), (Width(192), (3, 3))]);
        var b4 = Sequential(("0", BlockB(0)), ("1", BlockB(1)), ("2", BlockB(2)), ("3", BlockB(3)), ("reduction", reduceB));

        // b5: two residual blocks with the branches 1×1 192 | 1×1 192 → 1×3 192 → 3×1 192, global average pooling →
        // (N, 1408, 1, 1).
        ResidualInception BlockC(int i) => new($"inception{i}", b4Out, new ParallelPaths("branches",
                Path(("conv", Conv(b4Out, Width(192), (1, 1), bn))),
                Path(("reduce", Conv(b4Out, Width(192), (1, 1), bn)), ("conv1", Conv(Width(192), Width(192), (1, 3), bn)),
                    ("conv2", Conv(Width(192), Width(192), (3, 1), bn)))),
            2 * Width(192), ScaleC);
        var b5 = Sequential(("0", BlockC(0)), ("1", BlockC(1)), ("pool", AdaptiveAvgPool2d(1)));

        return new NetworkStages(b1, b2, b3, b4, b5, b4Out);
    }
}
