using TorchSharp.Modules;
using static TorchSharp.torch.nn;
using static MLNet.GoogLeNet.Modules.FactorizedBlocks;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// The stages of <see cref="NetworkArchitecture.InceptionV3"/>: an Inception-v3-style network (Szegedy et al. 2016)
/// sized for small grayscale images. Batch normalisation follows every convolution.
/// </summary>
/// <remarks>
/// The paper's network takes 299×299 images, and its stem (seven convolutions, two poolings) is made for them; here
/// the stem is three 3×3 convolutions and a pooling, so that 96×96 and 32×32 inputs leave grids of 12 and 4 pixels
/// for the first Inception blocks, as GoogLeNet's stem does. The blocks keep the paper's order (factorised 5×5,
/// grid reduction, 1×n/n×1, grid reduction, expanded 1×3/3×1) at about GoogLeNet's parameter budget: two blocks of
/// each kind rather than three, five and two, and n = 5 rather than 7, because the 1×n stage sees grids of 6 pixels
/// (96×96 input) or 2 (32×32) rather than 17.
/// </remarks>
internal static class InceptionV3Stages
{
    /// <summary>The side of the asymmetric 1×n and n×1 convolutions in b4.</summary>
    public const int AsymmetricKernel = 5;

    public static NetworkStages Build(GoogLeNetConfiguration configuration)
    {
        int Width(int channels) => InceptionChannels.Divide(channels, configuration.WidthDivisor);
        InceptionChannels Block(int c1, (int, int) c2, (int, int) c3, int c4) =>
            new InceptionChannels(c1, c2.Item1, c2.Item2, c3.Item1, c3.Item2, c4).DividedBy(configuration.WidthDivisor);
        const bool bn = true;

        // b1, b2: the stem → (N, 64, H/4, W/4), then (N, 192, H/8, W/8).
        var (b1, b2) = Stem(configuration, Width(192));

        // b3: two factorised blocks (→ 256, → 288), then a reduction → (N, 288 + 256 + 96 = 640, H/16, W/16).
        var (a1, a1Out) = Factorized("inception0", Width(192), Block(64, (48, 64), (64, 96), 32), bn);
        var (a2, a2Out) = Factorized("inception1", a1Out, Block(64, (48, 64), (64, 96), 64), bn);
        var (reduceA, b3Out) = GridReduction("reduction", a2Out, bn,
            [(Width(256), (3, 3))],
            [(Width(64), (1, 1)), (Width(96), (3, 3)), (Width(96), (3, 3))]);
        var b3 = Sequential(("0", a1), ("1", a2), ("reduction", reduceA));

        // b4: two 1×n/n×1 blocks (→ 4·160 = 640), then a reduction → (N, 640 + 256 + 160 = 1056, H/32, W/32).
        int n = AsymmetricKernel;
        var (b1x, b1xOut) = Asymmetric("inception0", b3Out, Width(160), Width(128), n, bn);
        var (b2x, b2xOut) = Asymmetric("inception1", b1xOut, Width(160), Width(160), n, bn);
        var (reduceB, b4Out) = GridReduction("reduction", b2xOut, bn,
            [(Width(160), (1, 1)), (Width(256), (3, 3))],
            [(Width(160), (1, 1)), (Width(160), (1, n)), (Width(160), (n, 1)), (Width(160), (3, 3))]);
        var b4 = Sequential(("0", b1x), ("1", b2x), ("reduction", reduceB));

        // b5: two expanded blocks (→ 192 + 2·160 + 2·160 + 128 = 960), global average pooling → (N, 960, 1, 1).
        var (c1x, c1xOut) = Expanded("inception0", b4Out, Block(192, (192, 160), (224, 160), 128), bn);
        var (c2x, b5Out) = Expanded("inception1", c1xOut, Block(192, (192, 160), (224, 160), 128), bn);
        var b5 = Sequential(("0", c1x), ("1", c2x), ("pool", AdaptiveAvgPool2d(1)));

        return new NetworkStages(b1, b2, b3, b4, b5, b5Out);
    }

    /// <summary>
    /// The stem, batch-normalised, shared with <see cref="InceptionResNetStages"/>. b1: 3×3 conv 32 stride 2; 3×3
    /// conv 32; 3×3 conv 64; 3×3 max-pool stride 2 → (N, 64, H/4, W/4). b2: 1×1 conv 80; 3×3 conv
    /// <paramref name="outputChannels"/>; max-pool → (N, outputChannels, H/8, W/8).
    /// </summary>
    internal static (Sequential B1, Sequential B2) Stem(GoogLeNetConfiguration configuration, int outputChannels)
    {
        int Width(int channels) => InceptionChannels.Divide(channels, configuration.WidthDivisor);
        const bool bn = true;
        var b1 = Sequential(
            ("conv1", Conv(configuration.InputChannels, Width(32), (3, 3), bn, stride: 2)),
            ("conv2", Conv(Width(32), Width(32), (3, 3), bn)),
            ("conv3", Conv(Width(32), Width(64), (3, 3), bn)),
            ("pool", MaxPool2d(kernel_size: 3, stride: 2, padding: 1)));
        var b2 = Sequential(
            ("conv1", Conv(Width(64), Width(80), (1, 1), bn)),
            ("conv2", Conv(Width(80), outputChannels, (3, 3), bn)),
            ("pool", MaxPool2d(kernel_size: 3, stride: 2, padding: 1)));
        return (b1, b2);
    }
}
