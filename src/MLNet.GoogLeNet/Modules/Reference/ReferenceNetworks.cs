using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNet.GoogLeNet.Modules.Reference;

/// <summary>
/// The networks Dive into Deep Learning builds before GoogLeNet — AlexNet, VGG-11 and NiN — with its layer tables, for
/// the size comparison of <c>googlenet info --compare</c> (docs/architectures.md). They are counted, never trained
/// here. The book feeds them 1×224×224 Fashion-MNIST; any input from <see cref="MinimumImageSize"/> up works, and
/// AlexNet's and VGG's first dense layer grows with it.
/// </summary>
internal static class ReferenceNetworks
{
    /// <summary>
    /// The smallest height and width all three take: NiN's 11×11 convolution of stride 4 and three 3×3 max-pools of
    /// stride 2 (no padding) leave a single pixel of a 67×67 input and nothing of a 66×66 one.
    /// </summary>
    public const int MinimumImageSize = 67;

    /// <summary>The networks by the names the comparison prints.</summary>
    public static IReadOnlyList<(string Name, Func<int, int, int, Sequential> Build)> All { get; } =
    [
        ("alexnet", AlexNet),
        ("vgg-11", Vgg11),
        ("nin", NiN),
    ];

    /// <summary>
    /// AlexNet: 11×11 conv 96 stride 4 pad 1, 3×3 max-pool stride 2, 5×5 conv 256 pad 2, max-pool, three 3×3 convs
    /// (384, 384, 256) pad 1, max-pool, then dense 4096, 4096 (ReLU, dropout 0.5) and one output per class.
    /// </summary>
    public static Sequential AlexNet(int inputChannels, int classCount, int imageSize)
    {
        // conv1 then pool1; conv2 keeps the side, pool2 halves it; conv3–conv5 keep it, pool3 halves it.
        int side = Pooled(Pooled(Pooled(Convolved(imageSize, 11, 4, 1), 3, 2), 3, 2), 3, 2);
        return Sequential(
            ("conv1", Conv2d(inputChannels, 96, kernel_size: 11, stride: 4, padding: 1)), ("relu1", ReLU()),
            ("pool1", MaxPool2d(kernel_size: 3, stride: 2)),
            ("conv2", Conv2d(96, 256, kernel_size: 5, padding: 2)), ("relu2", ReLU()),
            ("pool2", MaxPool2d(kernel_size: 3, stride: 2)),
            ("conv3", Conv2d(256, 384, kernel_size: 3, padding: 1)), ("relu3", ReLU()),
            ("conv4", Conv2d(384, 384, kernel_size: 3, padding: 1)), ("relu4", ReLU()),
            ("conv5", Conv2d(384, 256, kernel_size: 3, padding: 1)), ("relu5", ReLU()),
            ("pool3", MaxPool2d(kernel_size: 3, stride: 2)),
            ("flatten", Flatten()),
            ("dense1", Linear(256 * side * side, 4096)), ("relu6", ReLU()), ("dropout1", Dropout(0.5)),
            ("dense2", Linear(4096, 4096)), ("relu7", ReLU()), ("dropout2", Dropout(0.5)),
            ("dense3", Linear(4096, classCount)));
    }

    /// <summary>
    /// VGG-11: blocks of 3×3 convolutions (pad 1, ReLU) ending in a 2×2 max-pool of stride 2, with (convolutions,
    /// channels) ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512)), then dense 4096, 4096 (ReLU, dropout 0.5) and
    /// one output per class.
    /// </summary>
    public static Sequential Vgg11(int inputChannels, int classCount, int imageSize)
    {
        (int Convolutions, int Channels)[] blocks = [(1, 64), (1, 128), (2, 256), (2, 512), (2, 512)];
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        int channels = inputChannels, side = imageSize;
        for (int b = 0; b < blocks.Length; b++)
        {
            var block = new List<(string, Module<Tensor, Tensor>)>();
            for (int c = 0; c < blocks[b].Convolutions; c++)
            {
                block.Add(($"conv{c + 1}", Conv2d(channels, blocks[b].Channels, kernel_size: 3, padding: 1)));
                block.Add(($"relu{c + 1}", ReLU()));
                channels = blocks[b].Channels;
            }
            block.Add(("pool", MaxPool2d(kernel_size: 2, stride: 2)));
            layers.Add(($"block{b + 1}", Sequential(block)));
            side = Pooled(side, 2, 2);
        }
        layers.AddRange(
        [
            ("flatten", Flatten()),
            ("dense1", Linear(channels * side * side, 4096)), ("relu1", ReLU()), ("dropout1", Dropout(0.5)),
            ("dense2", Linear(4096, 4096)), ("relu2", ReLU()), ("dropout2", Dropout(0.5)),
            ("dense3", Linear(4096, classCount)),
        ]);
        return Sequential(layers);
    }

    /// <summary>
    /// Network in Network: NiN blocks (a k×k convolution then two 1×1, each with ReLU) (96, 11, stride 4, pad 0),
    /// (256, 5, 1, 2), (384, 3, 1, 1) with 3×3 max-pools of stride 2 between them, dropout 0.5, a last block with one
    /// channel per class (3, 1, 1), then global average pooling: no dense layer at all.
    /// </summary>
    public static Sequential NiN(int inputChannels, int classCount, int imageSize)
    {
        _ = imageSize;  // global average pooling makes the network the same for every input size
        return Sequential(
            ("block1", NiNBlock(inputChannels, 96, 11, 4, 0)), ("pool1", MaxPool2d(kernel_size: 3, stride: 2)),
            ("block2", NiNBlock(96, 256, 5, 1, 2)), ("pool2", MaxPool2d(kernel_size: 3, stride: 2)),
            ("block3", NiNBlock(256, 384, 3, 1, 1)), ("pool3", MaxPool2d(kernel_size: 3, stride: 2)),
            ("dropout", Dropout(0.5)),
            ("block4", NiNBlock(384, classCount, 3, 1, 1)),
            ("pool4", AdaptiveAvgPool2d(1)),
            ("flatten", Flatten()));
    }

    private static Sequential NiNBlock(int input, int output, int kernel, int stride, int padding) => Sequential(
        ("conv", Conv2d(input, output, kernel_size: kernel, stride: stride, padding: padding)), ("relu", ReLU()),
        ("conv1x1a", Conv2d(output, output, kernel_size: 1)), ("relu1x1a", ReLU()),
        ("conv1x1b", Conv2d(output, output, kernel_size: 1)), ("relu1x1b", ReLU()));

    private static int Convolved(int side, int kernel, int stride, int padding) => (side + 2 * padding - kernel) / stride + 1;

    private static int Pooled(int side, int kernel, int stride) => Convolved(side, kernel, stride, 0);
}
