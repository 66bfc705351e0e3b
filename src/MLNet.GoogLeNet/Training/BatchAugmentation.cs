using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Training;

/// <summary>
/// Applies an <see cref="AugmentationKind"/> (and optionally a horizontal flip) to a batch tensor (N, C, H, W) on
/// whatever device it is. The random draws of each batch come from a <see cref="Random"/> of its own, seeded from the
/// training seed and the batch's position (<see cref="RandomStreams"/>), so a seeded run augments the same way every
/// time whatever the device, a resumed run augments its batches as the uninterrupted run did, and nothing else's random
/// state is touched.
/// </summary>
internal sealed class BatchAugmentation
{
    /// <summary>Smallest share of the image area a random resized crop keeps; torchvision uses 0.08 for ImageNet, too harsh for small images.</summary>
    public const double MinimumCropArea = 0.35;

    private readonly AugmentationKind _kind;
    private readonly double _maxTranslation;
    private readonly bool _horizontalFlip;
    private readonly int _seed;

    public BatchAugmentation(AugmentationKind kind, double maxTranslation, bool horizontalFlip, int seed)
    {
        _kind = kind;
        _maxTranslation = maxTranslation;
        _horizontalFlip = horizontalFlip;
        _seed = seed;
    }

    /// <summary>An augmentation for <paramref name="options"/>, or null when they ask for none.</summary>
    public static BatchAugmentation? For(GoogLeNetTrainerOptions options, int seed) =>
        options.Augmentation == AugmentationKind.None && !options.HorizontalFlip
            ? null
            : new BatchAugmentation(options.Augmentation, options.MaxTranslation, options.HorizontalFlip, seed);

    /// <summary>
    /// A new tensor holding the augmented batch (in the caller's dispose scope); <paramref name="batch"/> is unchanged.
    /// </summary>
    /// <param name="batch">The batch, (N, C, H, W).</param>
    /// <param name="epoch">The 1-based epoch it is trained in.</param>
    /// <param name="batchIndex">Its 0-based position in the epoch.</param>
    public Tensor Apply(Tensor batch, int epoch, long batchIndex)
    {
        var random = new Random(RandomStreams.Seed(_seed, RandomStreams.Purpose.Augmentation, epoch, batchIndex));
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
                    .narrow(1, random.Next(2 * padY + 1), height)
                    .narrow(2, random.Next(2 * padX + 1), width),
                AugmentationKind.RandomResizedCrop => ResizedCrop(batch.select(0, i), height, width, random),
                _ => batch.select(0, i),
            };
            if (_horizontalFlip && random.Next(2) == 1)
                image = image.flip(2);
            images[i] = image;
        }
        return stack(images);
    }

    private static Tensor ResizedCrop(Tensor image, long height, long width, Random random)
    {
        double area = height * width * (MinimumCropArea + (1 - MinimumCropArea) * random.NextDouble());
        double aspect = Math.Exp(Math.Log(3.0 / 4) + (Math.Log(4.0 / 3) - Math.Log(3.0 / 4)) * random.NextDouble());
        long cropHeight = Math.Clamp((long)Math.Round(Math.Sqrt(area / aspect)), 1, height);
        long cropWidth = Math.Clamp((long)Math.Round(Math.Sqrt(area * aspect)), 1, width);
        long top = random.NextInt64(height - cropHeight + 1), left = random.NextInt64(width - cropWidth + 1);
        var crop = image.narrow(1, top, cropHeight).narrow(2, left, cropWidth).unsqueeze(0);
        return nn.functional.interpolate(crop, [height, width], mode: InterpolationMode.Bilinear, align_corners: false).squeeze(0);
    }
}
