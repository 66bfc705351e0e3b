namespace MLNet.GoogLeNet.Modules;

/// <summary>One network of the family: its value, its name on the command line, what it is, and how its stages are built.</summary>
/// <param name="Architecture">The options' value.</param>
/// <param name="Name">The command line's word for it (<c>--architecture NAME</c>).</param>
/// <param name="Summary">What it is, in a line.</param>
/// <param name="BuildStages">Builds its modules before the head for a configuration (<see cref="NetworkStages"/>).</param>
/// <param name="AuxiliaryClassifierPlaces">
/// The network's auxiliary classifiers (torchvision's <c>aux1</c>, <c>aux2</c>), which only
/// <see cref="GoogLeNetTrainerOptions.TrainAuxiliaryClassifiers"/> builds: without it
/// <see cref="GoogLeNetTrainerOptions.FineTuneFrom"/> leaves a file's keys of them out and says so. Default none.
/// </param>
/// <param name="DefaultImageSize">The height and width <c>googlenet train</c> resizes images to without <c>--image-size</c>:
/// the size the network is made for. Default the recipe's, <see cref="GoogLeNetConfiguration.RecipeImageSize"/>.</param>
/// <param name="DefaultChannels">The channels <c>googlenet train</c> reads without <c>--channels</c>, or null (the default)
/// for what the data holds.</param>
/// <param name="HeadName">The name of the classifier head, the dense layer with an output per class (the first part of
/// its state-dict keys). Default the recipe's <c>dense</c>.</param>
/// <param name="MinimumImageSize">The smallest height and width the network takes; default the family's,
/// <see cref="GoogLeNetConfiguration.MinimumImageSize"/>.</param>
internal sealed record ArchitectureEntry(
    NetworkArchitecture Architecture, string Name, string Summary, Func<GoogLeNetConfiguration, NetworkStages> BuildStages,
    IReadOnlyList<AuxiliaryClassifierPlace>? AuxiliaryClassifierPlaces = null, int DefaultImageSize = GoogLeNetConfiguration.RecipeImageSize,
    int? DefaultChannels = null, string HeadName = ArchitectureEntry.RecipeHeadName,
    int MinimumImageSize = GoogLeNetConfiguration.MinimumImageSize)
{
    /// <summary>The head's name in the networks built after the recipe.</summary>
    public const string RecipeHeadName = "dense";

    /// <summary>The network's auxiliary classifiers; empty when it has none.</summary>
    public IReadOnlyList<AuxiliaryClassifierPlace> AuxiliaryClassifiers => AuxiliaryClassifierPlaces ?? [];

    /// <summary>The name with its indefinite article, for messages: "a googlenet-bn network", "an inception-v3 network".</summary>
    public string NameWithArticle => ("aeiou".Contains(Name[0], StringComparison.Ordinal) ? "an " : "a ") + Name;

    /// <summary>The smallest height and width the network takes with its auxiliary classifiers.</summary>
    public int AuxiliaryMinimumImageSize => AuxiliaryClassifiers.Select(place => place.MinimumImageSize).Append(MinimumImageSize).Max();

    /// <summary>Whether the state-dict key <paramref name="key"/> belongs to one of <see cref="AuxiliaryClassifiers"/>.</summary>
    public bool IsAuxiliary(string key) =>
        AuxiliaryClassifiers.Any(place => key.StartsWith(place.Name + ".", StringComparison.Ordinal));
}

/// <summary>
/// Every network the library builds, once: <see cref="GoogLeNetNetwork"/> builds from it, and the command line's names,
/// help, <c>info --list</c> and <c>info --compare</c> read it (docs/architectures.md). Adding a network is a value of
/// <see cref="NetworkArchitecture"/>, a file with its stages and a row here; a value without a row is an error, never
/// another network.
/// </summary>
internal static class ArchitectureTable
{
    /// <summary>The rows, in the order the command line lists them.</summary>
    public static IReadOnlyList<ArchitectureEntry> All { get; } =
    [
        new(NetworkArchitecture.GoogLeNet, "googlenet",
            "GoogLeNet (Inception v1) as the Dive into Deep Learning recipe builds it, no normalisation", GoogLeNetStages.Build),
        new(NetworkArchitecture.GoogLeNetBatchNorm, "googlenet-bn",
            "the same with batch normalisation after every convolution (GoogLeNet-BN)", GoogLeNetStages.Build),
        new(NetworkArchitecture.InceptionV3, "inception-v3",
            "Inception-v3-style: factorised convolutions and grid-size reductions, batch-normalised", InceptionV3Stages.Build),
        new(NetworkArchitecture.InceptionResNet, "inception-resnet",
            "Inception-ResNet-style: residual Inception blocks, scaled and added to their input", InceptionResNetStages.Build),
        new(NetworkArchitecture.GoogLeNetTorchvision, "googlenet-torchvision",
            "torchvision's GoogLeNet under its state-dict keys, for its ImageNet weights (--from torchvision:googlenet); 224×224 RGB",
            TorchvisionGoogLeNetStages.Build, TorchvisionGoogLeNetStages.AuxiliaryClassifiers,
            TorchvisionGoogLeNetStages.ImageSize, TorchvisionGoogLeNetStages.Channels, TorchvisionGoogLeNetStages.HeadName),
        new(NetworkArchitecture.InceptionV3Torchvision, "inception-v3-torchvision",
            "torchvision's Inception-v3 under its state-dict keys, for its ImageNet weights (--from torchvision:inception_v3); 299×299 RGB",
            TorchvisionInceptionV3Stages.Build, TorchvisionInceptionV3Stages.AuxiliaryClassifiers,
            TorchvisionInceptionV3Stages.ImageSize, TorchvisionInceptionV3Stages.Channels, TorchvisionInceptionV3Stages.HeadName,
            TorchvisionInceptionV3Stages.MinimumImageSize),
    ];

    /// <summary>Whether a row describes <paramref name="architecture"/>.</summary>
    public static bool Contains(NetworkArchitecture architecture) => All.Any(entry => entry.Architecture == architecture);

    /// <summary>The row of <paramref name="architecture"/>.</summary>
    /// <exception cref="ArgumentException">No row describes it.</exception>
    public static ArchitectureEntry Of(NetworkArchitecture architecture) =>
        All.FirstOrDefault(entry => entry.Architecture == architecture)
        ?? throw new ArgumentException($"Architecture {architecture} is not a network this library builds " +
                                       $"({string.Join(", ", All.Select(e => e.Architecture))}).", nameof(architecture));
}
