using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Training;

/// <summary>
/// Applies an <see cref="AugmentationKind"/> (and optionally a horizontal flip) to a batch tensor (N, C, H, W) on
/// whatever device it is. The random draws come from its own <see cref="Random"/>, seeded from the training seed, so a
/// seeded run augments the same way every time whatever the device, and nothing else's random state is touched.
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
        Tensor? padded = null;
        int padY = 0, padX = 0;
        if (_kind == AugmentationKind.Translate)
        {
            padY = (int)Math.Floor(_maxTranslation * height);
            padX = (int)Math.Floor(_maxTranslation * width);
            padded = nn.functional.pad(batch, [padX, padX, padY, padY]);  // zeros around every image
        }
        for (long i = 0; i < count; i++)
        {
            Tensor image = _kind switch
            {
                AugmentationKind.Translate => padded!.select(0, i)
                    .narrow(1, _random.Next(2 * padY + 1), height)
                    .narrow(2, _random.Next(2 * padX + 1), width),
                AugmentationKind.RandomResizedCrop => ResizedCrop(batch.select(0, i), height, width),
                _ => batch.select(0, i),
            };
            if (_horizontalFlip && _random.Next(2) == 1)
                image = image.flip(2);
            images[i] = image;
        }
        return stack(images);
    }

    private Tensor ResizedCrop(Tensor image, long height, long width)
    {
        double area = height * width * (MinimumCropArea + (1 - MinimumCropArea) * _random.NextDouble());
        double aspect = Math.Exp(Math.Log(3.0 / 4) + (Math.Log(4.0 / 3) - Math.Log(3.0 / 4)) * _random.NextDouble());
        long cropHeight = Math.Clamp((long)Math.Round(Math.Sqrt(area / aspect)), 1, height);
        long cropWidth = Math.Clamp((long)Math.Round(Math.Sqrt(area * aspect)), 1, width);
        long top = _random.NextInt64(height - cropHeight + 1), left = _random.NextInt64(width - cropWidth + 1);
        var crop = image.narrow(1, top, cropHeight).narrow(2, left, cropWidth).unsqueeze(0);
        return nn.functional.interpolate(crop, [height, width], mode: InterpolationMode.Bilinear, align_corners: false).squeeze(0);
    }
}
