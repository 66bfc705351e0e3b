using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using static MLNet.GoogLeNet.Modules.NamedBranches;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// torchvision's Inception-v3 (<c>torchvision.models.inception_v3</c>, <c>Inception3</c> as in torchvision 0.14) module
/// for module, under torchvision's names, so that the network's state-dict keys are torchvision's and its published
/// ImageNet weights (<c>inception_v3_google-0cc3c7bd.pth</c>) load by name. The blocks are torchvision's InceptionA to
/// InceptionE (<see cref="NamedBranches"/>); every convolution is its BasicConv2d (no bias, batch normalisation with
/// ε 0.001, ReLU); the stem and the stride-2 steps do not pad. Its input pixels in [0, 1] are first scaled as
/// torchvision's users and <c>transform_input</c> scale them (<see cref="TorchvisionInput"/>).
/// </summary>
internal static class TorchvisionInceptionV3Stages
{
    /// <summary>The name of the classifier head, torchvision's <c>fc</c>.</summary>
    public const string HeadName = "fc";

    /// <summary>The height and width the published weights were trained and are evaluated at.</summary>
    public const int ImageSize = 299;

    /// <summary>
    /// The smallest height and width: torchvision's <c>min_size</c>, 75. Nothing before Mixed_7a pads a stride-2 step,
    /// so 75 pixels leave Mixed_7a a 3×3 grid to reduce to 1×1.
    /// </summary>
    public const int MinimumImageSize = 75;

    /// <summary>
    /// The smallest height and width with the auxiliary classifier, 299: it pools Mixed_6e's output with 5×5 windows
    /// of stride 3 and ends in a 5×5 convolution without padding, so it needs that output at 17×17.
    /// </summary>
    public const int AuxiliaryMinimumImageSize = 299;

    /// <summary>The channels of the published weights: RGB.</summary>
    public const int Channels = 3;

    /// <summary>torchvision's dropout before <c>fc</c>.</summary>
    public const double DropoutRate = 0.5;

    /// <summary>torchvision's auxiliary classifier (<c>aux_logits=True</c>), <c>AuxLogits</c> on Mixed_6e's output.</summary>
    public static IReadOnlyList<AuxiliaryClassifierPlace> AuxiliaryClassifiers { get; } =
    [
        new("AuxLogits", "Mixed_6e", TorchvisionInceptionV3Aux.ClassLayerName,
            (channels, configuration) => new TorchvisionInceptionV3Aux("AuxLogits", channels, configuration.ClassCount, configuration.WidthDivisor),
            AuxiliaryMinimumImageSize),
    ];

    /// <summary>The modules before <c>fc</c>, in torchvision's order and with its names; the comments give the shapes for 299×299.</summary>
    public static NetworkStages Build(GoogLeNetConfiguration configuration)
    {
        int W(int channels) => InceptionChannels.Divide(channels, configuration.WidthDivisor);
        int channels = W(192);  // what the next block reads
        var outputChannels = new Dictionary<string, int>();
        (string, Module<Tensor, Tensor>) Block(string name, Func<int, (NamedBranches Block, int Channels)> build)
        {
            var (block, output) = build(channels);
            channels = outputChannels[name] = output;
            return (name, block);
        }

        var stages = new NetworkStages(
        [
            ("normalize", new TorchvisionInput()),                                                      // (N, 3, 299, 299)
            ("Conv2d_1a_3x3", Conv(configuration.InputChannels, W(32), (3, 3), stride: 2)),             // (N, 32, 149, 149)
            ("Conv2d_2a_3x3", Conv(W(32), W(32), (3, 3))),                                              // (N, 32, 147, 147)
            ("Conv2d_2b_3x3", Conv(W(32), W(64), (3, 3), padding: (1, 1))),                             // (N, 64, 147, 147)
            ("maxpool1", MaxPool2d(kernel_size: 3, stride: 2)),                                         // (N, 64, 73, 73)
            ("Conv2d_3b_1x1", Conv(W(64), W(80), (1, 1))),                                              // (N, 80, 73, 73)
            ("Conv2d_4a_3x3", Conv(W(80), W(192), (3, 3))),                                             // (N, 192, 71, 71)
            ("maxpool2", MaxPool2d(kernel_size: 3, stride: 2)),                                         // (N, 192, 35, 35)
            Block("Mixed_5b", input => InceptionA(input, W(32), W)),                                    // (N, 256, 35, 35)
            Block("Mixed_5c", input => InceptionA(input, W(64), W)),                                    // (N, 288, 35, 35)
            Block("Mixed_5d", input => InceptionA(input, W(64), W)),
            Block("Mixed_6a", input => InceptionB(input, W)),                                           // (N, 768, 17, 17)
            Block("Mixed_6b", input => InceptionC(input, W(128), W)),
            Block("Mixed_6c", input => InceptionC(input, W(160), W)),
            Block("Mixed_6d", input => InceptionC(input, W(160), W)),
            Block("Mixed_6e", input => InceptionC(input, W(192), W)),                                   // (N, 768, 17, 17)
            Block("Mixed_7a", input => InceptionD(input, W)),                                           // (N, 1280, 8, 8)
            Block("Mixed_7b", input => InceptionE(input, W)),                                           // (N, 2048, 8, 8)
            Block("Mixed_7c", input => InceptionE(input, W)),
            ("avgpool", AdaptiveAvgPool2d(1)),                                                          // (N, 2048, 1, 1)
            ("dropout", new SeededDropout(DropoutRate)),
            ("flatten", Flatten()),                                                                     // (N, 2048)
        ], channels);
        return stages with { AuxiliaryInputs = AuxiliaryClassifiers.Select(place => (place, outputChannels[place.After])).ToList() };
    }

    /// <summary>torchvision's BasicConv2d: a convolution of <paramref name="kernel"/> without bias, batch normalisation (ε 0.001), ReLU.</summary>
    internal static ConvUnit Conv(int input, int output, (int Height, int Width) kernel, int stride = 1, (int Height, int Width) padding = default) =>
        new(input, output, kernel, batchNorm: true, activation: true, stride, padding, TorchvisionInception.BatchNormEpsilon);

    // F.avg_pool2d(x, 3, stride=1, padding=1) as torchvision calls it: the padding counts in the average.
    private static AvgPool2d AveragePool() => AvgPool2d(kernel_size: 3, stride: 1, padding: 1, count_include_pad: true);

    private static MaxPool2d ReducingPool() => MaxPool2d(kernel_size: 3, stride: 2);

    /// <summary>InceptionA (35×35 grid): 1×1 64 | 1×1 48 → 5×5 64 | 1×1 64 → 3×3 96 → 3×3 96 | average pool → 1×1 <paramref name="poolFeatures"/>.</summary>
    private static (NamedBranches, int) InceptionA(int input, int poolFeatures, Func<int, int> w) => (new("InceptionA",
        [Link("branch1x1", Conv(input, w(64), (1, 1)))],
        [Link("branch5x5_1", Conv(input, w(48), (1, 1))), Link("branch5x5_2", Conv(w(48), w(64), (5, 5), padding: (2, 2)))],
        [Link("branch3x3dbl_1", Conv(input, w(64), (1, 1))), Link("branch3x3dbl_2", Conv(w(64), w(96), (3, 3), padding: (1, 1))),
            Link("branch3x3dbl_3", Conv(w(96), w(96), (3, 3), padding: (1, 1)))],
        [Link("pool", AveragePool()), Link("branch_pool", Conv(input, poolFeatures, (1, 1)))]),
        w(64) + w(64) + w(96) + poolFeatures);

    /// <summary>InceptionB (35 → 17): 3×3 384 stride 2 | 1×1 64 → 3×3 96 → 3×3 96 stride 2 | 3×3 max-pool stride 2.</summary>
    private static (NamedBranches, int) InceptionB(int input, Func<int, int> w) => (new("InceptionB",
        [Link("branch3x3", Conv(input, w(384), (3, 3), stride: 2))],
        [Link("branch3x3dbl_1", Conv(input, w(64), (1, 1))), Link("branch3x3dbl_2", Conv(w(64), w(96), (3, 3), padding: (1, 1))),
            Link("branch3x3dbl_3", Conv(w(96), w(96), (3, 3), stride: 2))],
        [Link("pool", ReducingPool())]),
        w(384) + w(96) + input);

    /// <summary>
    /// InceptionC (17×17 grid), 7×7 factorised into 1×7 and 7×1 with <paramref name="c7"/> channels inside: 1×1 192 |
    /// 1×1 c7 → 1×7 c7 → 7×1 192 | 1×1 c7 → 7×1 c7 → 1×7 c7 → 7×1 c7 → 1×7 192 | average pool → 1×1 192.
    /// </summary>
    private static (NamedBranches, int) InceptionC(int input, int c7, Func<int, int> w) => (new("InceptionC",
        [Link("branch1x1", Conv(input, w(192), (1, 1)))],
        [Link("branch7x7_1", Conv(input, c7, (1, 1))), Link("branch7x7_2", Conv(c7, c7, (1, 7), padding: (0, 3))),
            Link("branch7x7_3", Conv(c7, w(192), (7, 1), padding: (3, 0)))],
        [Link("branch7x7dbl_1", Conv(input, c7, (1, 1))), Link("branch7x7dbl_2", Conv(c7, c7, (7, 1), padding: (3, 0))),
            Link("branch7x7dbl_3", Conv(c7, c7, (1, 7), padding: (0, 3))), Link("branch7x7dbl_4", Conv(c7, c7, (7, 1), padding: (3, 0))),
            Link("branch7x7dbl_5", Conv(c7, w(192), (1, 7), padding: (0, 3)))],
        [Link("pool", AveragePool()), Link("branch_pool", Conv(input, w(192), (1, 1)))]),
        4 * w(192));

    /// <summary>InceptionD (17 → 8): 1×1 192 → 3×3 320 stride 2 | 1×1 192 → 1×7 192 → 7×1 192 → 3×3 192 stride 2 | 3×3 max-pool stride 2.</summary>
    private static (NamedBranches, int) InceptionD(int input, Func<int, int> w) => (new("InceptionD",
        [Link("branch3x3_1", Conv(input, w(192), (1, 1))), Link("branch3x3_2", Conv(w(192), w(320), (3, 3), stride: 2))],
        [Link("branch7x7x3_1", Conv(input, w(192), (1, 1))), Link("branch7x7x3_2", Conv(w(192), w(192), (1, 7), padding: (0, 3))),
            Link("branch7x7x3_3", Conv(w(192), w(192), (7, 1), padding: (3, 0))), Link("branch7x7x3_4", Conv(w(192), w(192), (3, 3), stride: 2))],
        [Link("pool", ReducingPool())]),
        w(320) + w(192) + input);

    /// <summary>
    /// InceptionE (8×8 grid), the last convolutions split into 1×3 beside 3×1: 1×1 320 | 1×1 384 → {1×3 384, 3×1 384} |
    /// 1×1 448 → 3×3 384 → {1×3 384, 3×1 384} | average pool → 1×1 192.
    /// </summary>
    private static (NamedBranches, int) InceptionE(int input, Func<int, int> w) => (new("InceptionE",
        [Link("branch1x1", Conv(input, w(320), (1, 1)))],
        [Link("branch3x3_1", Conv(input, w(384), (1, 1))),
            SideBySide(("branch3x3_2a", Conv(w(384), w(384), (1, 3), padding: (0, 1))), ("branch3x3_2b", Conv(w(384), w(384), (3, 1), padding: (1, 0))))],
        [Link("branch3x3dbl_1", Conv(input, w(448), (1, 1))), Link("branch3x3dbl_2", Conv(w(448), w(384), (3, 3), padding: (1, 1))),
            SideBySide(("branch3x3dbl_3a", Conv(w(384), w(384), (1, 3), padding: (0, 1))), ("branch3x3dbl_3b", Conv(w(384), w(384), (3, 1), padding: (1, 0))))],
        [Link("pool", AveragePool()), Link("branch_pool", Conv(input, w(192), (1, 1)))]),
        w(320) + 4 * w(384) + w(192));
}
