using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// The modules a network of the family is made of before its classifier head, in the order they run, each with the
/// name <see cref="GoogLeNetNetwork"/> registers it under (the first part of its state-dict keys); the head's name is
/// the architecture's row's (<see cref="ArchitectureEntry.HeadName"/>).
/// The networks built after the recipe have five stages, b1 … b5, then a flatten and the head <c>dense</c>; the
/// torchvision GoogLeNet has torchvision's own modules (<c>conv1</c>, <c>maxpool1</c>, … <c>inception5b</c>,
/// <c>avgpool</c>) and its head <c>fc</c>, so that its state-dict keys are torchvision's.
/// </summary>
/// <param name="Backbone">The modules before the head, in order; the last leaves (N, <paramref name="OutputChannels"/>).</param>
/// <param name="OutputChannels">Features the backbone leaves per image, the head's input.</param>
internal sealed record NetworkStages(
    IReadOnlyList<(string Name, nn.Module<Tensor, Tensor> Module)> Backbone, int OutputChannels)
{
    /// <summary>
    /// The architecture's auxiliary classifiers (<see cref="ArchitectureEntry.AuxiliaryClassifiers"/>), each with the
    /// channels of the feature map it reads; empty when it has none.
    /// </summary>
    public IReadOnlyList<(AuxiliaryClassifierPlace Place, int InputChannels)> AuxiliaryInputs { get; init; } = [];

    /// <summary>
    /// The recipe's layout: b1 and b2 the stem (to a quarter, then an eighth of the input's height and width), b3 to b5
    /// the Inception blocks (to a sixteenth, a thirty-second, then 1×1 by global average pooling), a flatten, then the
    /// head <c>dense</c>.
    /// </summary>
    /// <param name="b1">The first half of the stem: (N, C1, H/4, W/4).</param>
    /// <param name="b2">The second half of the stem: (N, C2, H/8, W/8).</param>
    /// <param name="b3">The first Inception stage, ending in a halving: (N, C3, H/16, W/16).</param>
    /// <param name="b4">The second Inception stage, ending in a halving: (N, C4, H/32, W/32).</param>
    /// <param name="b5">The last Inception stage and global average pooling: (N, C5, 1, 1).</param>
    /// <param name="outputChannels">Channels b5 leaves, the dense layer's input.</param>
    public NetworkStages(Sequential b1, Sequential b2, Sequential b3, Sequential b4, Sequential b5, int outputChannels)
        : this([("b1", b1), ("b2", b2), ("b3", b3), ("b4", b4), ("b5", b5), ("flatten", nn.Flatten())], outputChannels)
    {
    }
}
