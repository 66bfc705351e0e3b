namespace MLNet.GoogLeNet;

/// <summary>
/// What a CPU-sized Fashion-MNIST run changes from the default preset: the image size, the epochs, the batch, the
/// augmentation and the optimiser. The main command (<c>googlenet fashion-mnist</c> without <c>--full</c>) and the
/// benchmark's time-to-accuracy rows both train with it, so they measure the same run.
/// </summary>
/// <param name="ImageSize">Height and width the 28×28 images are resized to.</param>
/// <param name="Epochs">Passes over the training images.</param>
/// <param name="BatchSize">Images per optimiser step.</param>
/// <param name="Augmentation">The random change of each training image.</param>
/// <param name="Optimizer">The optimiser; with <see cref="OptimizerKind.Sgd"/>, the default preset's momentum and Nesterov setting.</param>
/// <param name="LearningRate">The one-cycle schedule's peak learning rate.</param>
/// <param name="WeightDecay">Weight decay of convolution and dense weights.</param>
internal sealed record QuickRun(int ImageSize, int Epochs, int BatchSize, AugmentationKind Augmentation,
    OptimizerKind Optimizer, double LearningRate, double WeightDecay)
{
    /// <summary>
    /// All 60,000 training and 10,000 test images at 32×32 (a ninth of the recipe's 96×96 arithmetic), five epochs of
    /// batch 128 without augmentation, SGD with Nesterov momentum 0.9, peak rate 0.1 and weight decay 5e-4: five passes
    /// over 60,000 images leave the network short of fitting them, so random translations cost accuracy here rather
    /// than buy it, and over five epochs SGD ended above AdamW (docs/recipe.md measures each lever). Under ten minutes
    /// on two cores.
    /// </summary>
    public static QuickRun FashionMnist { get; } = new(ImageSize: 32, Epochs: 5, BatchSize: 128, Augmentation: AugmentationKind.None,
        Optimizer: OptimizerKind.Sgd, LearningRate: 0.1, WeightDecay: 5e-4);

    /// <summary>The default preset's options with this run's epochs, batch, augmentation and optimiser.</summary>
    public GoogLeNetTrainerOptions TrainerOptions() => new()
    {
        Epochs = Epochs,
        BatchSize = BatchSize,
        Augmentation = Augmentation,
        Optimizer = Optimizer,
        LearningRate = LearningRate,
        WeightDecay = WeightDecay,
    };
}
