namespace MLNet.GoogLeNet;

/// <summary>
/// What a CPU-sized Fashion-MNIST run changes from the default preset: the image size, the epochs and the batch. The
/// main command (<c>googlenet fashion-mnist</c> without <c>--full</c>) and the benchmark's time-to-accuracy rows both
/// train with it, so they measure the same run.
/// </summary>
/// <param name="ImageSize">Height and width the 28×28 images are resized to.</param>
/// <param name="Epochs">Passes over the training images.</param>
/// <param name="BatchSize">Images per optimiser step.</param>
internal sealed record QuickRun(int ImageSize, int Epochs, int BatchSize)
{
    /// <summary>
    /// All 60,000 training and 10,000 test images at 32×32 (a ninth of the recipe's 96×96 arithmetic), two epochs of
    /// batch 128: under ten minutes on two cores (docs/recipe.md).
    /// </summary>
    public static QuickRun FashionMnist { get; } = new(ImageSize: 32, Epochs: 2, BatchSize: 128);

    /// <summary>The default preset's options with this run's epochs and batch.</summary>
    public GoogLeNetTrainerOptions TrainerOptions() => new() { Epochs = Epochs, BatchSize = BatchSize };
}
