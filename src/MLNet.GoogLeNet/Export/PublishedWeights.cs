using System.Text.RegularExpressions;

namespace MLNet.GoogLeNet.Export;

/// <summary>
/// A published weights file that <see cref="GoogLeNetTrainerOptions.FineTuneFrom"/> (<c>train --from</c>) takes by name
/// or by address: the network it is for (when known without reading it), where it is published, and the start of its
/// SHA-256, which its publisher puts in the file's name and which the download is checked against (<see cref="WeightsCache"/>).
/// </summary>
/// <param name="Name">What <c>--from</c> takes: <c>torchvision:googlenet</c>, or the address itself.</param>
/// <param name="Architecture">The network the file's keys are those of; null for an address, whose keys tell it once fetched.</param>
/// <param name="Url">The publisher's address of the file.</param>
/// <param name="Sha256Prefix">The first hex digits of the file's SHA-256, as its name gives them.</param>
/// <param name="Transforms">What the weights were trained on, as a user must feed them: image size and normalisation;
/// null where the library does not know.</param>
internal sealed partial record PublishedWeights(string Name, NetworkArchitecture? Architecture, string Url, string Sha256Prefix, string? Transforms)
{
    /// <summary>The file's name, the last part of its address (<c>googlenet-1378be20.pth</c>): its name in the cache.</summary>
    public string FileName => Url[(Url.LastIndexOf('/') + 1)..];

    /// <summary>Every file the library can build the network of, one row each.</summary>
    public static IReadOnlyList<PublishedWeights> All { get; } =
    [
        new("torchvision:googlenet", NetworkArchitecture.GoogLeNetTorchvision, "https://download.pytorch.org/models/googlenet-1378be20.pth",
            "1378be20", "ImageNet-1k: RGB 224×224, resized to 256 and centre-cropped, scaled to [0, 1], then the network's own transform_input"),
        new("torchvision:inception_v3", NetworkArchitecture.InceptionV3Torchvision, "https://download.pytorch.org/models/inception_v3_google-0cc3c7bd.pth",
            "0cc3c7bd", "ImageNet-1k: RGB 299×299, resized to 342 and centre-cropped, scaled to [0, 1], then the network's own transform_input"),
    ];

    /// <summary>
    /// The row named <paramref name="nameOrUrl"/> (case-insensitive); else, for an http or https address whose file name
    /// carries the start of the file's SHA-256 (<see cref="FromUrl"/>), a row of that file; else null (a path, say).
    /// </summary>
    public static PublishedWeights? Find(string nameOrUrl) =>
        All.FirstOrDefault(entry => string.Equals(entry.Name, nameOrUrl, StringComparison.OrdinalIgnoreCase)) ?? FromUrl(nameOrUrl);

    /// <summary>Whether <paramref name="text"/> is an http or https address.</summary>
    public static bool IsUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    /// <summary>
    /// The file at an http or https address whose name carries the start of its SHA-256 after its last hyphen, as
    /// torch.hub names files and checks them (<c>load_state_dict_from_url(url, check_hash=True)</c>): <c>…/resnet18-f37072fd.pth</c>.
    /// Null for anything else, an address without such a name among them (nothing could check its download).
    /// </summary>
    public static PublishedWeights? FromUrl(string text)
    {
        if (!IsUrl(text))
            return null;
        var match = HashInName().Match(Path.GetFileName(new Uri(text).AbsolutePath));
        return match.Success ? new PublishedWeights(text, null, text, match.Groups[1].Value, null) : null;
    }

    /// <summary>What an address's file name must look like, for the message that refuses one that does not.</summary>
    public const string UrlRule = "its file name must carry the start of the file's SHA-256 (8 hex digits or more) after its last hyphen, " +
                                  "as torch.hub names files (resnet18-f37072fd.pth), so that the download can be checked";

    // 8 hex digits or more, as torchvision's names carry, after the last hyphen and before the extension.
    [GeneratedRegex("-([0-9a-f]{8,64})\\.[^-]*$")]
    private static partial Regex HashInName();
}
