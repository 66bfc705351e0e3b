using TorchSharp.Modules;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// The five stages every network of the family is made of, before global average pooling's flatten and the dense
/// layer: b1 and b2 the stem (to a quarter, then an eighth of the input's height and width), b3 to b5 the Inception
/// blocks (to a sixteenth, a thirty-second, then 1×1). <see cref="GoogLeNetNetwork"/> registers them under these names.
/// </summary>
/// <param name="B1">The first half of the stem: (N, C1, H/4, W/4).</param>
/// <param name="B2">The second half of the stem: (N, C2, H/8, W/8).</param>
/// <param name="B3">The first Inception stage, ending in a halving: (N, C3, H/16, W/16).</param>
/// <param name="B4">The second Inception stage, ending in a halving: (N, C4, H/32, W/32).</param>
/// <param name="B5">The last Inception stage and global average pooling: (N, C5, 1, 1).</param>
/// <param name="OutputChannels">Channels b5 leaves, the dense layer's input.</param>
internal sealed record NetworkStages(Sequential B1, Sequential B2, Sequential B3, Sequential B4, Sequential B5, int OutputChannels);
