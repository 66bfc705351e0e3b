namespace MLNet.GoogLeNet;

/// <summary>
/// What a CPU-sized Fashion-MNIST run changes from the default preset: the image size, the epochs, the batch and the
/// augmentation. The
/// main command (<c>googlenet fashion-mnist</c> without <c>--full</c>) and the benchmark's time-to-accuracy rows both
/// train with it, so they measure the same run.
/// </summary>
/// <param name="ImageSize">Height and width the 28×28 images are resized to.</param>
/// <param name="Epochs">Passes over the training images.</param>
/// <param name="BatchSize">Images per optimiser step.</param>
/// <param name="Augmentation">The random change of each training image.</param>
internal sealed record QuickRun(int ImageSize, int Epochs, int BatchSize, AugmentationKind Augmentation)
{
    /// <summary>
    /// All 60,000 training and 10,000 test images at 32×32 (a ninth of the recipe's 96×96 arithmetic), three epochs of
    /// batch 128, without augmentation: 60,000 images seen three times leave the network short of fitting them (its
    /// training accuracy stays below its test accuracy), so random translations cost accuracy here rather than buy it
    /// (docs/recipe.md measures both). Under ten minutes on two cores.
    /// </summary>
    public static QuickRun FashionMnist { get; } = new(ImageSize: 32, Epochs: 3, BatchSize: 128, Augmentation: AugmentationKind.None);

    /// <summary>The default preset's options with this run's epochs, batch and augmentation.</summary>
    public GoogLeNetTrainerOptions TrainerOptions() => new() { Epochs = Epochs, BatchSize = BatchSize, Augmentation = Augmentation };
}
