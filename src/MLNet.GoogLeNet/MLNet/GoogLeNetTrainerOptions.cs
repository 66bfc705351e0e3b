using Microsoft.ML;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Training;

namespace MLNet.GoogLeNet;

/// <summary>
/// Options of <see cref="GoogLeNetTrainer"/>. The defaults are the Dive into Deep Learning recipe: 5 epochs of SGD with
/// learning rate 0.1 on batches of 128 images, Xavier initialisation, the full-width network.
/// </summary>
public sealed class GoogLeNetTrainerOptions
{
    /// <summary>Name of the key-typed label column. Default <c>"Label"</c>.</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>
    /// Name of the feature column: a known-size vector of <see cref="float"/>, C×H×W planar, as
    /// <c>ExtractPixels</c> produces it. Default <c>"Features"</c>.
    /// </summary>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>Passes over the training data. Default 5 (recipe).</summary>
    public int Epochs { get; set; } = 5;

    /// <summary>Images per SGD step. Default 128 (recipe).</summary>
    public int BatchSize { get; set; } = 128;

    /// <summary>The optimiser. Default <see cref="OptimizerKind.Sgd"/> (recipe).</summary>
    public OptimizerKind Optimizer { get; set; } = OptimizerKind.Sgd;

    /// <summary>Initial learning rate. Default 0.1 (recipe, for SGD; Adam wants about 0.001).</summary>
    public double LearningRate { get; set; } = 0.1;

    /// <summary>SGD momentum (not used by Adam). Default 0 (plain SGD, as in the recipe).</summary>
    public double Momentum { get; set; }

    /// <summary>L2 weight decay added by the optimiser. Default 0 (recipe).</summary>
    public double WeightDecay { get; set; }

    /// <summary>How the learning rate changes between epochs. Default <see cref="Training.LearningRateSchedule.Constant"/> (recipe).</summary>
    public LearningRateSchedule LearningRateSchedule { get; set; } = LearningRateSchedule.Constant;

    /// <summary>With <see cref="Training.LearningRateSchedule.StepDecay"/>: epochs between decays. Default 2.</summary>
    public int StepDecayEpochs { get; set; } = 2;

    /// <summary>With <see cref="Training.LearningRateSchedule.StepDecay"/>: factor applied at each decay. Default 0.1.</summary>
    public double StepDecayFactor { get; set; } = 0.1;

    /// <summary>Initial weights. Default <see cref="WeightInitialization.Xavier"/> (recipe).</summary>
    public WeightInitialization Initialization { get; set; } = WeightInitialization.Xavier;

    /// <summary>
    /// Image height in pixels. Default null: taken from the feature column's dimensions (ExtractPixels records
    /// C, H, W), else inferred from its size for square images.
    /// </summary>
    public int? ImageHeight { get; set; }

    /// <summary>Image width in pixels. Default null: inferred as for <see cref="ImageHeight"/>.</summary>
    public int? ImageWidth { get; set; }

    /// <summary>Image channels, 1 or 3. Default null: inferred as for <see cref="ImageHeight"/>.</summary>
    public int? ImageChannels { get; set; }

    /// <summary>
    /// Divides every channel count of the network (1 = the recipe's network). Larger values give small networks for
    /// quick experiments and tests. Default 1.
    /// </summary>
    public int WidthDivisor { get; set; } = 1;

    /// <summary>
    /// Data scored after every epoch to report validation ("test") accuracy, with the same feature and label columns as
    /// the training data. Default null: no validation.
    /// </summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>
    /// Seed of the initial weights and of the per-epoch shuffling. Default null: drawn from the MLContext's
    /// random source, so an MLContext created with a seed gives repeatable training.
    /// </summary>
    public int? Seed { get; set; }

    /// <summary>Threads TorchSharp uses for each operation (process-wide). Default null: TorchSharp's default, one per core.</summary>
    public int? NumberOfThreads { get; set; }

    /// <summary>
    /// Rows kept in the shuffle pool when the training data cannot be shuffled at its source (a data view that reads
    /// files as it goes). In-memory and cached data are fully permuted every epoch. Default 1000.
    /// </summary>
    public int ShufflePoolSize { get; set; } = 1000;

    /// <summary>
    /// Keep the preprocessed feature vectors of the training (and validation) data in memory after the first
    /// epoch, so that later epochs skip image decoding and resizing. Costs C×H×W×4 bytes per image (about 36 KiB at
    /// 96×96 grayscale). Default null: cache when the data's row count is known and its feature vectors take at most
    /// a quarter of the memory available to the process; true or false decide it outright.
    /// </summary>
    public bool? CacheFeatures { get; set; }

    /// <summary>
    /// On Linux with glibc, keep freed native memory for reuse instead of unmapping it after every batch
    /// (<see cref="Native.NativeMemory.KeepFreedMemory"/>): about 8–15% faster CPU training here. Process-wide and
    /// lasting — the process keeps its peak native memory — so it is off unless asked for. Default false.
    /// </summary>
    public bool KeepNativeMemory { get; set; }

    /// <summary>
    /// Train, and score with the fitted transformer, with the convolution weights, and so the activations, laid out
    /// channels-last (<see cref="GoogLeNetNetwork.UseChannelsLast"/>): the layout oneDNN and cuDNN convolve fastest,
    /// about 1.3× the CPU training rate and 1.7× the inference rate here. The trained model is the same; its weights
    /// are handed back in the standard layout (<see cref="GoogLeNetTransformer.Network"/>), and scoring uses a
    /// channels-last copy. Default true.
    /// </summary>
    public bool ChannelsLast { get; set; } = true;

    /// <summary>
    /// Reduced-precision training: <see cref="Training.MixedPrecision.BFloat16"/> autocasts the forward pass to bf16
    /// on CUDA devices and on CPUs with native bf16 arithmetic; elsewhere training stays in fp32 with a warning.
    /// Default <see cref="Training.MixedPrecision.None"/>.
    /// </summary>
    public MixedPrecision MixedPrecision { get; set; } = MixedPrecision.None;

    /// <summary>
    /// On CUDA devices, let cuDNN time its convolution algorithms on the first batch and keep the fastest (PyTorch's
    /// <c>cudnn.benchmark</c>; process-wide). No effect on the CPU. Default true.
    /// </summary>
    public bool CudnnAutotune { get; set; } = true;

    /// <summary>Batches prepared on a background thread ahead of the network. Default 2.</summary>
    public int PrefetchBatches { get; set; } = 2;

    /// <summary>Images scored together by <c>Transform</c>. Default 64.</summary>
    public int ScoringBatchSize { get; set; } = 64;

    /// <summary>Receives an <see cref="EpochReport"/> after every epoch. Default null.</summary>
    public IProgress<EpochReport>? EpochProgress { get; set; }

    /// <summary>Receives a <see cref="BatchProgress"/> after every batch, for progress bars. Default null.</summary>
    public IProgress<BatchProgress>? BatchProgress { get; set; }

    /// <summary>Stops training between batches; <c>Fit</c> then throws <see cref="OperationCanceledException"/>. Default none.</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>A copy, so that a trainer is not affected by later changes to the options object it was given.</summary>
    internal GoogLeNetTrainerOptions Clone() => (GoogLeNetTrainerOptions)MemberwiseClone();

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming the first invalid option.</summary>
    internal void Validate()
    {
        static void Require(bool ok, string option, object? value, string rule)
        {
            if (!ok)
                throw new ArgumentOutOfRangeException(option, value, $"GoogLeNetTrainerOptions.{option} {rule}.");
        }

        Require(!string.IsNullOrWhiteSpace(LabelColumnName), nameof(LabelColumnName), LabelColumnName, "must name a column");
        Require(!string.IsNullOrWhiteSpace(FeatureColumnName), nameof(FeatureColumnName), FeatureColumnName, "must name a column");
        Require(Epochs >= 1, nameof(Epochs), Epochs, "must be at least 1");
        Require(BatchSize >= 1, nameof(BatchSize), BatchSize, "must be at least 1");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "must be a positive number");
        Require(Enum.IsDefined(Optimizer), nameof(Optimizer), Optimizer, "is not a known optimiser");
        Require(Momentum >= 0 && Momentum < 1, nameof(Momentum), Momentum, "must be in [0, 1)");
        Require(WeightDecay >= 0 && double.IsFinite(WeightDecay), nameof(WeightDecay), WeightDecay, "must be 0 or more");
        Require(Enum.IsDefined(LearningRateSchedule), nameof(LearningRateSchedule), LearningRateSchedule, "is not a known schedule");
        Require(StepDecayEpochs >= 1, nameof(StepDecayEpochs), StepDecayEpochs, "must be at least 1");
        Require(StepDecayFactor > 0 && StepDecayFactor <= 1, nameof(StepDecayFactor), StepDecayFactor, "must be in (0, 1]");
        Require(Enum.IsDefined(MixedPrecision), nameof(MixedPrecision), MixedPrecision, "is not a known precision mode");
        Require(Enum.IsDefined(Initialization), nameof(Initialization), Initialization, "is not a known initialisation");
        Require(ImageChannels is null or 1 or 3, nameof(ImageChannels), ImageChannels, "must be 1 or 3");
        Require(ImageHeight is null or > 0, nameof(ImageHeight), ImageHeight, "must be positive");
        Require(ImageWidth is null or > 0, nameof(ImageWidth), ImageWidth, "must be positive");
        Require(WidthDivisor >= 1, nameof(WidthDivisor), WidthDivisor, "must be at least 1");
        Require(NumberOfThreads is null or >= 1, nameof(NumberOfThreads), NumberOfThreads, "must be at least 1");
        Require(ShufflePoolSize >= 1, nameof(ShufflePoolSize), ShufflePoolSize, "must be at least 1");
        Require(PrefetchBatches >= 1, nameof(PrefetchBatches), PrefetchBatches, "must be at least 1");
        Require(ScoringBatchSize >= 1, nameof(ScoringBatchSize), ScoringBatchSize, "must be at least 1");
    }
}
