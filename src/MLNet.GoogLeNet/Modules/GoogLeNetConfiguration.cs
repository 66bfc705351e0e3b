namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// What varies between the networks built by this library (GoogLeNet and its successors): the input (channels, height, width),
/// the number of classes and, for quick experiments and tests, a divisor of every channel count.
/// </summary>
/// <param name="InputChannels">Channels of the input image: 1 (grayscale) or 3 (RGB).</param>
/// <param name="ClassCount">Outputs of the dense layer, one per class; at least 2.</param>
/// <param name="ImageHeight">Input height in pixels; at least <see cref="MinimumImageSize"/>. The recipe uses 96.</param>
/// <param name="ImageWidth">Input width in pixels; at least <see cref="MinimumImageSize"/>. The recipe uses 96.</param>
/// <param name="WidthDivisor">Divides every channel count of blocks 1 to 5 (never below 1). 1 is the recipe's network;
/// 8 or 16 give small networks for tests and quick experiments.</param>
/// <param name="Architecture">The network: the recipe's GoogLeNet (default), its batch-normalised variant or one of its successors.</param>
public sealed record GoogLeNetConfiguration(
    int InputChannels, int ClassCount, int ImageHeight = GoogLeNetConfiguration.RecipeImageSize, int ImageWidth = GoogLeNetConfiguration.RecipeImageSize, int WidthDivisor = 1,
    NetworkArchitecture Architecture = NetworkArchitecture.GoogLeNet)
{
    /// <summary>
    /// The smallest accepted height and width, for every architecture; a network whose stride-2 steps do not pad asks for
    /// more (its row's <see cref="ArchitectureEntry.MinimumImageSize"/>: torchvision's Inception-v3 takes 75). Each has five
    /// stride-2 stages (GoogLeNet: the 7×7 convolution and four max-pools; Inception-v3 and Inception-ResNet: the first
    /// convolution, two max-pools and two grid-size reductions), which divide the input by 32; below that, the last
    /// blocks would see windows made of padding alone.
    /// </summary>
    public const int MinimumImageSize = 32;

    /// <summary>
    /// The largest accepted height and width: 1024 pixels, over ten times the recipe's and four times ImageNet's 224. An
    /// image of 3×1024×1024 floats is 12 MiB, so a batch of them is already several GiB; a larger size is almost
    /// certainly a mistake, and an image size past 46,340 would overflow the feature length.
    /// </summary>
    public const int MaximumImageSize = 1024;

    /// <summary>The recipe's input height and width, 96 pixels: the default of every image size in this library.</summary>
    public const int RecipeImageSize = 96;

    /// <summary>The recipe's network for 96×96 grayscale Fashion-MNIST: 1 channel, 10 classes.</summary>
    public static GoogLeNetConfiguration Recipe { get; } = new(InputChannels: 1, ClassCount: 10);

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid parameter.</summary>
    public void Validate()
    {
        if (InputChannels is not (1 or 3))
            throw new ArgumentException(
                $"InputChannels must be 1 (grayscale) or 3 (RGB); got {InputChannels}.", nameof(InputChannels));
        if (ClassCount < 2)
            throw new ArgumentException($"ClassCount must be at least 2; got {ClassCount}.", nameof(ClassCount));
        if (!ArchitectureTable.Contains(Architecture))
            throw new ArgumentException($"Architecture {Architecture} is not a network this library builds.", nameof(Architecture));
        int smallest = ArchitectureTable.Of(Architecture).MinimumImageSize;
        if (ImageHeight < smallest)
            throw new ArgumentException(
                $"ImageHeight must be at least {smallest} pixels for the stride-2 steps of {Architecture}; got {ImageHeight}.",
                nameof(ImageHeight));
        if (ImageWidth < smallest)
            throw new ArgumentException(
                $"ImageWidth must be at least {smallest} pixels for the stride-2 steps of {Architecture}; got {ImageWidth}.",
                nameof(ImageWidth));
        if (ImageHeight > MaximumImageSize || ImageWidth > MaximumImageSize)
            throw new ArgumentException(
                $"ImageHeight and ImageWidth must be at most {MaximumImageSize} pixels; got {ImageHeight}×{ImageWidth}.", nameof(ImageHeight));
        if (WidthDivisor < 1)
            throw new ArgumentException($"WidthDivisor must be 1 or more; got {WidthDivisor}.", nameof(WidthDivisor));
    }

    /// <summary>Number of values in one input image: channels × height × width.</summary>
    public int FeatureLength => InputChannels * ImageHeight * ImageWidth;
}
