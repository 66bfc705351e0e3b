using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// The factorised Inception blocks of "Rethinking the Inception Architecture" (Szegedy et al. 2016), built from
/// <see cref="ConvUnit"/>s side by side (<see cref="ParallelPaths"/>): the blocks of the Inception-v3-style network,
/// and the branches the Inception-ResNet-style network adds to its residuals. Every convolution is followed by its normalisation (when asked for) and
/// ReLU; stride-1 convolutions keep the height and width (padding ⌊k/2⌋ on each axis), the stride-2 ones of the
/// grid-size reductions halve them, rounding up. Each factory returns the block and the channels of its output.
/// </summary>
/// <remarks>
/// The pooling paths average with <c>count_include_pad</c> false: the grids of small inputs are 1 to 6 pixels wide,
/// where counting the zero padding would shrink the averages at the borders, most of the grid.
/// </remarks>
internal static class FactorizedBlocks
{
    /// <summary>
    /// The 35×35-grid block with the 5×5 convolution factorised into two 3×3 (two-thirds of its cost):
    /// 1×1 c1 | 1×1 c2a → 3×3 c2b | 1×1 c3a → 3×3 c3b → 3×3 c3b | 3×3 average pool → 1×1 c4.
    /// </summary>
    public static (ParallelPaths Block, int Channels) Factorized(string name, int input, InceptionChannels c, bool batchNorm)
    {
        c.Validate(nameof(c));
        var block = new ParallelPaths(name,
            Path(("conv", Conv(input, c.C1, (1, 1), batchNorm))),
            Path(("reduce", Conv(input, c.C2a, (1, 1), batchNorm)), ("conv", Conv(c.C2a, c.C2b, (3, 3), batchNorm))),
            Path(("reduce", Conv(input, c.C3a, (1, 1), batchNorm)), ("conv1", Conv(c.C3a, c.C3b, (3, 3), batchNorm)),
                ("conv2", Conv(c.C3b, c.C3b, (3, 3), batchNorm))),
            Path(("pool", AveragePool()), ("conv", Conv(input, c.C4, (1, 1), batchNorm))));
        return (block, c.OutputChannels);
    }

    /// <summary>
    /// The 17×17-grid block with n×n convolutions factorised into 1×n then n×1:
    /// 1×1 c1 | 1×1 c → 1×n c → n×1 c1 | 1×1 c → n×1 c → 1×n c → n×1 c → 1×n c1 | 3×3 average pool → 1×1 c1.
    /// Output 4·c1 channels.
    /// </summary>
    public static (ParallelPaths Block, int Channels) Asymmetric(string name, int input, int c1, int c, int n, bool batchNorm)
    {
        var block = new ParallelPaths(name,
            Path(("conv", Conv(input, c1, (1, 1), batchNorm))),
            Path(("reduce", Conv(input, c, (1, 1), batchNorm)), ("conv1", Conv(c, c, (1, n), batchNorm)),
                ("conv2", Conv(c, c1, (n, 1), batchNorm))),
            Path(("reduce", Conv(input, c, (1, 1), batchNorm)), ("conv1", Conv(c, c, (n, 1), batchNorm)),
                ("conv2", Conv(c, c, (1, n), batchNorm)), ("conv3", Conv(c, c, (n, 1), batchNorm)),
                ("conv4", Conv(c, c1, (1, n), batchNorm))),
            Path(("pool", AveragePool()), ("conv", Conv(input, c1, (1, 1), batchNorm))));
        return (block, 4 * c1);
    }

    /// <summary>
    /// The 8×8-grid block whose last convolutions split into a 1×3 and a 3×1 side by side, widening the output
    /// where the grid is coarsest: 1×1 c1 | 1×1 c2a → {1×3 c2b, 3×1 c2b} | 1×1 c3a → 3×3 c3b → {1×3 c3b, 3×1 c3b} |
    /// 3×3 average pool → 1×1 c4. Output c1 + 2·c2b + 2·c3b + c4 channels.
    /// </summary>
    public static (ParallelPaths Block, int Channels) Expanded(string name, int input, InceptionChannels c, bool batchNorm)
    {
        c.Validate(nameof(c));
        var block = new ParallelPaths(name,
            Path(("conv", Conv(input, c.C1, (1, 1), batchNorm))),
            Path(("reduce", Conv(input, c.C2a, (1, 1), batchNorm)), ("split", Split(c.C2a, c.C2b, batchNorm))),
            Path(("reduce", Conv(input, c.C3a, (1, 1), batchNorm)), ("conv", Conv(c.C3a, c.C3b, (3, 3), batchNorm)),
                ("split", Split(c.C3b, c.C3b, batchNorm))),
            Path(("pool", AveragePool()), ("conv", Conv(input, c.C4, (1, 1), batchNorm))));
        return (block, c.C1 + 2 * c.C2b + 2 * c.C3b + c.C4);
    }

    /// <summary>
    /// A grid-size reduction: convolution chains whose last convolution has stride 2, beside a 3×3 max-pool of stride
    /// 2, concatenated — the grid halves while the channels grow, without the representational bottleneck of pooling
    /// first or the cost of convolving first. Each chain is a list of (channels, kernel); output Σ last channels +
    /// <paramref name="input"/>.
    /// </summary>
    public static (ParallelPaths Block, int Channels) GridReduction(
        string name, int input, bool batchNorm, params (int Channels, (int Height, int Width) Kernel)[][] chains)
    {
        var paths = new List<Sequential>();
        int output = input;
        foreach (var chain in chains)
        {
            if (chain.Length == 0)
                throw new ArgumentException("A grid-size reduction path needs at least one convolution.", nameof(chains));
            var layers = new List<(string, Module<Tensor, Tensor>)>();
            int channels = input;
            for (int i = 0; i < chain.Length; i++)
            {
                int stride = i == chain.Length - 1 ? 2 : 1;
                layers.Add(($"conv{i + 1}", Conv(channels, chain[i].Channels, chain[i].Kernel, batchNorm, stride)));
                channels = chain[i].Channels;
            }
            paths.Add(Sequential(layers));
            output += channels;
        }
        paths.Add(Path(("pool", MaxPool2d(kernel_size: 3, stride: 2, padding: 1))));
        return (new ParallelPaths(name, [.. paths]), output);
    }

    /// <summary>A convolution, its normalisation and ReLU; "same" padding, so stride 1 keeps the grid and stride 2 halves it.</summary>
    internal static ConvUnit Conv(int input, int output, (int Height, int Width) kernel, bool batchNorm, int stride = 1) =>
        new(input, output, kernel, batchNorm, activation: true, stride, (kernel.Height / 2, kernel.Width / 2));

    internal static Sequential Path(params (string Name, Module<Tensor, Tensor> Layer)[] layers) => Sequential(layers);

    /// <summary>A 1×3 and a 3×1 convolution side by side on the same input: 2·<paramref name="output"/> channels.</summary>
    private static ParallelPaths Split(int input, int output, bool batchNorm) => new("split",
        Path(("conv", Conv(input, output, (1, 3), batchNorm))),
        Path(("conv", Conv(input, output, (3, 1), batchNorm))));

    private static AvgPool2d AveragePool() => AvgPool2d(kernel_size: 3, stride: 1, padding: 1, count_include_pad: false);
}
