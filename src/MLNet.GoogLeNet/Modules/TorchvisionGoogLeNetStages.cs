using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// torchvision's GoogLeNet (<c>torchvision.models.googlenet</c>, as in torchvision 0.14) module for module, registered
/// under torchvision's names so that the network's state-dict keys are torchvision's and its published ImageNet weights
/// load by name (docs/transfer-learning.md). Its input pixels in [0, 1] are first scaled as torchvision's users and
/// <c>transform_input</c> scale them (<see cref="TorchvisionInput"/>).
/// </summary>
internal static class TorchvisionGoogLeNetStages
{
    /// <summary>The name of the classifier head, torchvision's <c>fc</c>.</summary>
    public const string HeadName = "fc";

    /// <summary>The height and width torchvision's ImageNet weights were trained and are evaluated at.</summary>
    public const int ImageSize = 224;

    /// <summary>The channels of torchvision's ImageNet weights: RGB.</summary>
    public const int Channels = 3;

    /// <summary>
    /// torchvision's auxiliary classifiers (<c>aux_logits=True</c>): <c>aux1</c> on inception4a's output, <c>aux2</c>
    /// on inception4d's. Built only to train them (<see cref="GoogLeNetTrainerOptions.TrainAuxiliaryClassifiers"/>);
    /// torchvision never scores with them either.
    /// </summary>
    public static IReadOnlyList<AuxiliaryClassifierPlace> AuxiliaryClassifiers { get; } =
        [Auxiliary("aux1", "inception4a"), Auxiliary("aux2", "inception4d")];

    private static AuxiliaryClassifierPlace Auxiliary(string name, string after) =>
        new(name, after, TorchvisionInceptionAux.ClassLayerName,
            (channels, configuration) => new TorchvisionInceptionAux(name, channels, configuration.ClassCount, configuration.WidthDivisor));

    /// <summary>The modules before <c>fc</c>, in torchvision's order and with its names; the comments give the shapes for 224×224.</summary>
    public static NetworkStages Build(GoogLeNetConfiguration configuration)
    {
        int Width(int channels) => InceptionChannels.Divide(channels, configuration.WidthDivisor);
        var outputChannels = new Dictionary<string, int>();  // each block's, for the auxiliary classifiers that read it
        int channels = Width(192);  // what each block reads: the previous block's output (with a width divisor, not always torchvision's count ÷ divisor)
        Module<Tensor, Tensor> Block(string name, int c1, int c2a, int c2b, int c3a, int c3b, int c4)
        {
            var widths = new InceptionChannels(c1, c2a, c2b, c3a, c3b, c4).DividedBy(configuration.WidthDivisor);
            var block = new TorchvisionInception(name, channels, widths);
            channels = widths.OutputChannels;
            outputChannels[name] = channels;
            return block;
        }
        // torchvision pools with ceil_mode=True: a window that starts inside the input but runs past it still counts.
        Module<Tensor, Tensor> Pool(int kernel) => MaxPool2d(kernel_size: kernel, stride: 2, ceil_mode: true);
        var conv = TorchvisionInception.BasicConv2d;

        var stages = new NetworkStages(
        [
            ("normalize", new TorchvisionInput()),                                                     // (N, C, 224, 224)
            ("conv1", conv(configuration.InputChannels, Width(64), 7, 2, 3)),                          // (N, 64, 112, 112)
            ("maxpool1", Pool(3)),                                                                     // (N, 64, 56, 56)
            ("conv2", conv(Width(64), Width(64), 1, 1, 0)),
            ("conv3", conv(Width(64), Width(192), 3, 1, 1)),                                           // (N, 192, 56, 56)
            ("maxpool2", Pool(3)),                                                                     // (N, 192, 28, 28)
            ("inception3a", Block("inception3a", 64, 96, 128, 16, 32, 32)),                       // (N, 256, 28, 28)
            ("inception3b", Block("inception3b", 128, 128, 192, 32, 96, 64)),                     // (N, 480, 28, 28)
            ("maxpool3", Pool(3)),                                                                     // (N, 480, 14, 14)
            ("inception4a", Block("inception4a", 192, 96, 208, 16, 48, 64)),                      // (N, 512, 14, 14)
            ("inception4b", Block("inception4b", 160, 112, 224, 24, 64, 64)),
            ("inception4c", Block("inception4c", 128, 128, 256, 24, 64, 64)),
            ("inception4d", Block("inception4d", 112, 144, 288, 32, 64, 64)),                     // (N, 528, 14, 14)
            ("inception4e", Block("inception4e", 256, 160, 320, 32, 128, 128)),                   // (N, 832, 14, 14)
            ("maxpool4", Pool(2)),                                                                     // (N, 832, 7, 7)
            ("inception5a", Block("inception5a", 256, 160, 320, 32, 128, 128)),
            ("inception5b", Block("inception5b", 384, 192, 384, 48, 128, 128)),                   // (N, 1024, 7, 7)
            ("avgpool", AdaptiveAvgPool2d(1)),                                                         // (N, 1024, 1, 1)
            ("flatten", Flatten()),                                                                    // (N, 1024)
            ("dropout", new SeededDropout(0.2)),
        ], channels);
        return stages with { AuxiliaryInputs = AuxiliaryClassifiers.Select(place => (place, outputChannels[place.After])).ToList() };
    }
}
