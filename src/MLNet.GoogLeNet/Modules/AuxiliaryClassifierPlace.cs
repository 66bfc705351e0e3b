using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// An auxiliary classifier of an architecture: where it reads the network — the module <paramref name="Name"/> (the
/// first part of its state-dict keys) takes the output of the backbone's module <paramref name="After"/> — and how it is
/// built.
/// </summary>
/// <param name="Name">The classifier's name: torchvision's <c>aux1</c>, <c>aux2</c> (GoogLeNet), <c>AuxLogits</c> (Inception-v3).</param>
/// <param name="After">The backbone module whose output it reads: <c>inception4a</c>, <c>inception4d</c>, <c>Mixed_6e</c>.</param>
/// <param name="ClassLayerName">Its last layer, with an output per class (<c>fc2</c>, <c>fc</c>): new, as the head is, when
/// fine-tuning on other classes.</param>
/// <param name="Build">Builds it for the channels of the feature map it reads and the network's configuration (classes,
/// width divisor).</param>
/// <param name="MinimumImageSize">The smallest height and width whose feature map it can read (Inception-v3's ends in a
/// 5×5 convolution without padding); default the family's smallest, <see cref="GoogLeNetConfiguration.MinimumImageSize"/>.</param>
internal sealed record AuxiliaryClassifierPlace(
    string Name, string After, string ClassLayerName, Func<int, GoogLeNetConfiguration, nn.Module<Tensor, Tensor>> Build,
    int MinimumImageSize = GoogLeNetConfiguration.MinimumImageSize);
