using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// The five stages of GoogLeNet as the Dive into Deep Learning recipe builds them, with batch normalisation after
/// every convolution for <see cref="NetworkArchitecture.GoogLeNetBatchNorm"/>.
/// </summary>
internal static class GoogLeNetStages
{
    /// <summary>The recipe's stages (GoogLeNet), with batch normalisation for <see cref="NetworkArchitecture.GoogLeNetBatchNorm"/>.</summary>
    public static NetworkStages Build(GoogLeNetConfiguration configuration)
    {
        int Width(int channels) => InceptionChannels.Divide(channels, configuration.WidthDivisor);
        InceptionChannels Block(int c1, (int, int) c2, (int, int) c3, int c4) =>
            new InceptionChannels(c1, c2.Item1, c2.Item2, c3.Item1, c3.Item2, c4).DividedBy(configuration.WidthDivisor);

        bool batchNorm = configuration.Architecture == NetworkArchitecture.GoogLeNetBatchNorm;

        // b1: 7×7 conv 64, stride 2, pad 3, ReLU; 3×3 max-pool stride 2 pad 1 (recipe).
        var b1 = Sequential(
            ("conv", new ConvUnit(configuration.InputChannels, Width(64), 7, batchNorm, activation: true, stride: 2, padding: 3)),
            ("pool", MaxPool2d(kernel_size: 3, stride: 2, padding: 1)));

        // b2: 1×1 conv 64; 3×3 conv 192 pad 1; max-pool as in b1. The recipe writes both convolutions without
        // activation; the batch-normalised network puts normalisation and ReLU after each, as GoogLeNet-BN does.
        var b2 = Sequential(
            ("conv1", new ConvUnit(Width(64), Width(64), 1, batchNorm, activation: batchNorm)),
            ("conv2", new ConvUnit(Width(64), Width(192), 3, batchNorm, activation: batchNorm, padding: 1)),
            ("pool", MaxPool2d(kernel_size: 3, stride: 2, padding: 1)));

        // b3–b5: the recipe's Inception channel table.
        var b3 = InceptionStage(Width(192), [Block(64, (96, 128), (16, 32), 32), Block(128, (128, 192), (32, 96), 64)], batchNorm,
            out int b3Out, ("pool", MaxPool2d(kernel_size: 3, stride: 2, padding: 1)));
        var b4 = InceptionStage(b3Out,
            [
                Block(192, (96, 208), (16, 48), 64), Block(160, (112, 224), (24, 64), 64),
                Block(128, (128, 256), (24, 64), 64), Block(112, (144, 288), (32, 64), 64),
                Block(256, (160, 320), (32, 128), 128),
            ],
            batchNorm, out int b4Out, ("pool", MaxPool2d(kernel_size: 3, stride: 2, padding: 1)));
        var b5 = InceptionStage(b4Out, [Block(256, (160, 320), (32, 128), 128), Block(384, (192, 384), (48, 128), 128)], batchNorm,
            out int b5Out, ("pool", AdaptiveAvgPool2d(1)));  // global average pooling

        return new NetworkStages(b1, b2, b3, b4, b5, b5Out);
    }

    private static Sequential InceptionStage(
        int inputChannels, InceptionChannels[] blocks, bool batchNorm, out int outputChannels, (string, Module<Tensor, Tensor>) pool)
    {
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        int channels = inputChannels;
        for (int i = 0; i < blocks.Length; i++)
        {
            layers.Add((i.ToString(System.Globalization.CultureInfo.InvariantCulture), new Inception($"inception{i}", channels, blocks[i], batchNorm)));
            channels = blocks[i].OutputChannels;
        }
        layers.Add(pool);
        outputChannels = channels;
        return Sequential(layers);
    }
}
