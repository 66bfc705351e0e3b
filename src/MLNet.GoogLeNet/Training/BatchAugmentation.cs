using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Training;

/// <summary>
/// Applies an <see cref="AugmentationKind"/> (and optionally a horizontal flip) to a batch tensor (N, C, H, W) on
/// whatever device it is. The random draws come from its own <see cref="Random"/>, seeded from the training seed, so a
/// seeded run augments the same way every time whatever the device, and nothing else's random state is touched. The
/// draws of each image are made apart from the tensor work, so that a resumed run can pass over those of the images
/// trained before its checkpoint (<see cref="Skip"/>) and go on drawing what the uninterrupted run drew.
/// </summary>
internal sealed class BatchAugmentation
{
    /// <summary>Smallest share of the image area a random resized crop keeps; torchvision uses 0.08 for ImageNet, too harsh for small images.</summary>
    public const double MinimumCropArea = 0.35;

    private readonly AugmentationKind _kind;
    private readonly double _maxTranslation;
    private readonly bool _horizontalFlip;
    private readonly Random _random;

    public BatchAugmentation(AugmentationKind kind, double maxTranslation, bool horizontalFlip, int seed)
    {
        _kind = kind;
        _maxTranslation = maxTranslation;
        _horizontalFlip = horizontalFlip;
        _random = new Random(seed);
    }

    /// <summary>An augmentation for <paramref name="options"/>, or null when they ask for none.</summary>
    public static BatchAugmentation? For(GoogLeNetTrainerOptions options, int seed) =>
        options.Augmentation == AugmentationKind.None && !options.HorizontalFlip
            ? null
            : new BatchAugmentation(options.Augmentation, options.MaxTranslation, options.HorizontalFlip, seed);

    /// <summary>
    /// A new tensor holding the augmented batch (in the caller's dispose scope); <paramref name="batch"/> is unchanged.
    /// </summary>
    public Tensor Apply(Tensor batch)
    {
        long count = batch.shape[0], height = batch.shape[2], width = batch.shape[3];
        var images = new Tensor[count];
        var (padY, padX) = Padding(height, width);
        // Translations crop a zero-padded copy: (0, 0) is the image shifted as far right and down as allowed.
        var padded = _kind == AugmentationKind.Translate ? nn.functional.pad(batch, [padX, padX, padY, padY]) : null;
        for (long i = 0; i < count; i++)
        {
            var draw = Draw(height, width, padY, padX);
            Tensor image = _kind switch
            {
                AugmentationKind.Translate => padded!.select(0, i).narrow(1, draw.Top, height).narrow(2, draw.Left, width),
                AugmentationKind.RandomResizedCrop => nn.functional.interpolate(
                    batch.select(0, i).narrow(1, draw.Top, draw.Height).narrow(2, draw.Left, draw.Width).unsqueeze(0),
                    [height, width], mode: InterpolationMode.Bilinear, align_corners: false).squeeze(0),
                _ => batch.select(0, i),
            };
            if (draw.Flip)
                image = image.flip(2);
            images[i] = image;
        }
        return stack(images);
    }

    /// <summary>Makes the random draws of <paramref name="images"/> images of <paramref name="height"/>×<paramref name="width"/> and discards them.</summary>
    public void Skip(long images, long height, long width)
    {
        var (padY, padX) = Padding(height, width);
        for (long i = 0; i < images; i++)
            Draw(height, width, padY, padX);
    }

    /// <summary>Where one image is cropped from (in the padded image for translations) and whether it is mirrored.</summary>
    private readonly record struct ImageDraw(long Top, long Left, long Height, long Width, bool Flip);

    private (int PadY, int PadX) Padding(long height, long width) => _kind == AugmentationKind.Translate
        ? ((int)Math.Floor(_maxTranslation * height), (int)Math.Floor(_maxTranslation * width))
        : (0, 0);

    private ImageDraw Draw(long height, long width, int padY, int padX)
    {
        var draw = _kind switch
        {
            AugmentationKind.Translate => new ImageDraw(_random.Next(2 * padY + 1), _random.Next(2 * padX + 1), height, width, false),
            AugmentationKind.RandomResizedCrop => ResizedCrop(height, width),
            _ => new ImageDraw(0, 0, height, width, false),
        };
        return _horizontalFlip && _random.Next(2) == 1 ? draw with { Flip = true } : draw;
    }

    private ImageDraw ResizedCrop(long height, long width)
    {
        double area = height * width * (MinimumCropArea + (1 - MinimumCropArea) * _random.NextDouble());
        double aspect = Math.Exp(Math.Log(3.0 / 4) + (Math.Log(4.0 / 3) - Math.Log(3.0 / 4)) * _random.NextDouble());
        long cropHeight = Math.Clamp((long)Math.Round(Math.Sqrt(area / aspect)), 1, height);
        long cropWidth = Math.Clamp((long)Math.Round(Math.Sqrt(area * aspect)), 1, width);
        long top = _random.NextInt64(height - cropHeight + 1), left = _random.NextInt64(width - cropWidth + 1);
        return new ImageDraw(top, left, cropHeight, cropWidth, false);
    }
}
