namespace MLNet.GoogLeNet.Export;

/// <summary>
/// A published weights file that <see cref="GoogLeNetTrainerOptions.FineTuneFrom"/> (<c>train --from</c>) takes by name:
/// the network it is for, where it is published, and the start of its SHA-256, which its publisher puts in the file's
/// name and which the download is checked against (<see cref="WeightsCache"/>).
/// </summary>
/// <param name="Name">What <c>--from</c> takes: <c>torchvision:googlenet</c>.</param>
/// <param name="Architecture">The network the file's keys are those of.</param>
/// <param name="Url">The publisher's address of the file.</param>
/// <param name="Sha256Prefix">The first hex digits of the file's SHA-256, as its name gives them.</param>
/// <param name="Transforms">What the weights were trained on, as a user must feed them: image size and normalisation.</param>
internal sealed record PublishedWeights(string Name, NetworkArchitecture Architecture, string Url, string Sha256Prefix, string Transforms)
{
    /// <summary>The file's name, the last part of its address (<c>googlenet-1378be20.pth</c>): its name in the cache.</summary>
    public string FileName => Url[(Url.LastIndexOf('/') + 1)..];

    /// <summary>Every file the library can build the network of, one row each.</summary>
    public static IReadOnlyList<PublishedWeights> All { get; } =
    [
        new("torchvision:googlenet", NetworkArchitecture.GoogLeNetTorchvision, "https://download.pytorch.org/models/googlenet-1378be20.pth",
            "1378be20", "ImageNet-1k: RGB 224×224, resized to 256 and centre-cropped, scaled to [0, 1], then the network's own transform_input"),
    ];

    /// <summary>The row named <paramref name="name"/> (case-insensitive), or null for anything else, a path among them.</summary>
    public static PublishedWeights? Find(string name) =>
        All.FirstOrDefault(entry => string.Equals(entry.Name, name, StringComparison.OrdinalIgnoreCase));
}
