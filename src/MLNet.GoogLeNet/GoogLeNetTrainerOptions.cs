using System.Globalization;
using Microsoft.ML;
using MLNet.GoogLeNet.Export;
using MLNet.GoogLeNet.Modules;

namespace MLNet.GoogLeNet;

/// <summary>
/// Options of <see cref="GoogLeNetTrainer"/>, made from a <see cref="TrainingPreset"/>. <c>new GoogLeNetTrainerOptions()</c>
/// is <see cref="TrainingPreset.Default"/>: the batch-normalised network with AdamW, a one-cycle learning rate, label
/// smoothing and small random translations, which learns Fashion-MNIST and folders of a few thousand images alike.
/// <see cref="Recipe"/> is the Dive into Deep Learning recipe exactly. Each field documents its default preset value and,
/// where it differs, the recipe's; set any field after construction to override the preset.
/// </summary>
public sealed class GoogLeNetTrainerOptions
{
    /// <summary>The default preset's options.</summary>
    public GoogLeNetTrainerOptions()
        : this(TrainingPreset.Default)
    {
    }

    /// <summary>The options of <paramref name="preset"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="preset"/> is not a known preset.</exception>
    public GoogLeNetTrainerOptions(TrainingPreset preset)
    {
        Preset = preset;
        switch (preset)
        {
            case TrainingPreset.Default:
                break;  // the property initialisers below are the default preset
            case TrainingPreset.Recipe:
                Architecture = NetworkArchitecture.GoogLeNet;
                Epochs = 5;
                BatchSize = 128;
                Optimizer = OptimizerKind.Sgd;
                LearningRate = 0.1;
                Momentum = 0;
                Nesterov = false;
                WeightDecay = 0;
                LearningRateSchedule = LearningRateSchedule.Constant;
                WarmupFraction = 0;
                LabelSmoothing = 0;
                Augmentation = AugmentationKind.None;
                HorizontalFlip = false;
                EarlyStoppingPatience = null;
                GradientClipNorm = null;
                Initialization = WeightInitialization.Xavier;
                MixedPrecision = MixedPrecision.None;  // the recipe's arithmetic, whatever the default preset's
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(preset), preset, "Not a known training preset.");
        }
    }

    /// <summary>
    /// The Dive into Deep Learning recipe: the plain GoogLeNet (<see cref="NetworkArchitecture.GoogLeNet"/>), 5 epochs of
    /// SGD without momentum at a constant learning rate of 0.1 on batches of 128, Xavier initialisation; no weight
    /// decay, warmup, label smoothing, augmentation, clipping or early stopping. Resize the images to 96×96 for the
    /// recipe's input.
    /// </summary>
    public static GoogLeNetTrainerOptions Recipe() => new(TrainingPreset.Recipe);

    /// <summary>The preset these options were made from (later changes to the fields are not reflected here).</summary>
    public TrainingPreset Preset { get; }

    /// <summary>Name of the key-typed label column. Default <c>"Label"</c>.</summary>
    public string LabelColumnName { get; set; } = GoogLeNetColumns.Label;

    /// <summary>
    /// Name of the feature column: a known-size vector of <see cref="float"/>, C×H×W planar, as
    /// <c>ExtractPixels</c> produces it. Default <c>"Features"</c>.
    /// </summary>
    public string FeatureColumnName { get; set; } = GoogLeNetColumns.Features;

    /// <summary>
    /// The network. Default <see cref="NetworkArchitecture.GoogLeNetBatchNorm"/>; recipe
    /// <see cref="NetworkArchitecture.GoogLeNet"/>.
    /// </summary>
    public NetworkArchitecture Architecture { get; set; } = NetworkArchitecture.GoogLeNetBatchNorm;

    /// <summary>Passes over the training data. Default 10; recipe 5.</summary>
    public int Epochs { get; set; } = 10;

    /// <summary>Images per optimiser step. Default 64; recipe 128.</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>The optimiser. Default <see cref="OptimizerKind.AdamW"/>; recipe <see cref="OptimizerKind.Sgd"/>.</summary>
    public OptimizerKind Optimizer { get; set; } = OptimizerKind.AdamW;

    /// <summary>
    /// The peak learning rate: the rate itself under <see cref="LearningRateSchedule.Constant"/>, the top of the
    /// warmup under the others. Default 0.005 (for AdamW with batch normalisation); recipe 0.1 (for SGD).
    /// </summary>
    public double LearningRate { get; set; } = 0.005;

    /// <summary>SGD momentum (not used by Adam and AdamW). Default 0.9; recipe 0 (plain SGD).</summary>
    public double Momentum { get; set; } = 0.9;

    /// <summary>
    /// SGD with Nesterov momentum, whenever <see cref="Momentum"/> is above 0: with momentum 0 there is no velocity to
    /// look ahead with and the step is plain SGD, so false is needed only to use classical momentum. Not used by Adam
    /// and AdamW. Default true; recipe false.
    /// </summary>
    public bool Nesterov { get; set; } = true;

    /// <summary>Whether the optimiser steps with Nesterov momentum: SGD, <see cref="Nesterov"/>, and momentum to look ahead with.</summary>
    internal bool UsesNesterov => Optimizer == OptimizerKind.Sgd && Nesterov && Momentum > 0;

    /// <summary>
    /// Weight decay: decoupled from the gradient with AdamW (Loshchilov and Hutter 2019), an L2 term in the gradient
    /// with SGD and Adam. Applied to the weights of convolutions and the dense layer only: biases and normalisation
    /// scales and shifts (every one-dimensional parameter) are not decayed. Default 0.05; recipe 0.
    /// </summary>
    public double WeightDecay { get; set; } = 0.05;

    /// <summary>
    /// How the learning rate changes, set before every step. Default <see cref="LearningRateSchedule.OneCycle"/>;
    /// recipe <see cref="LearningRateSchedule.Constant"/>.
    /// </summary>
    public LearningRateSchedule LearningRateSchedule { get; set; } = LearningRateSchedule.OneCycle;

    /// <summary>
    /// Fraction of all training steps spent raising the rate to <see cref="LearningRate"/> before the schedule's decay
    /// (under <see cref="LearningRateSchedule.OneCycle"/>, the rise from a 25th of the peak). 0 to 0.9.
    /// Default 0.3; recipe 0.
    /// </summary>
    public double WarmupFraction { get; set; } = 0.3;

    /// <summary>With <see cref="LearningRateSchedule.StepDecay"/>: epochs between decays. Default 2.</summary>
    public int StepDecayEpochs { get; set; } = 2;

    /// <summary>With <see cref="LearningRateSchedule.StepDecay"/>: factor applied at each decay. Default 0.1.</summary>
    public double StepDecayFactor { get; set; } = 0.1;

    /// <summary>
    /// Label smoothing of the cross-entropy loss (the target puts 1 − ε on the class and spreads ε over all classes),
    /// in [0, 1). Default 0.1; recipe 0.
    /// </summary>
    public double LabelSmoothing { get; set; } = 0.1;

    /// <summary>
    /// Random changes to every training batch, drawn on the fly from a generator seeded by <see cref="Seed"/>, so a
    /// seeded run is repeatable; validation and scoring never see them. Default
    /// <see cref="AugmentationKind.Translate"/>; recipe <see cref="AugmentationKind.None"/>.
    /// </summary>
    public AugmentationKind Augmentation { get; set; } = AugmentationKind.Translate;

    /// <summary>
    /// With <see cref="AugmentationKind.Translate"/>: the largest shift, as a fraction of the image's height and width
    /// (the image is zero-padded by that much and cropped back at a random offset), in [0, 0.5). Default 0.1.
    /// </summary>
    public double MaxTranslation { get; set; } = 0.1;

    /// <summary>
    /// Also mirror half of the training images left to right. Only for classes that a mirror image does not change
    /// (not for digits, letters, or left and right shoes); so off unless asked for. Default false.
    /// </summary>
    public bool HorizontalFlip { get; set; }

    /// <summary>
    /// How the fitted model scores an image (<see cref="GoogLeNet.TestTimeAugmentation"/>, where the mean of an image's and
    /// its mirror's probabilities is defined): what <c>Transform</c>, the per-epoch test accuracy and the saved zip's
    /// ONNX graph compute. The weights do not depend on it; a zip records it in its ONNX metadata. Cannot be combined
    /// with <see cref="FreezeBackbone"/>, whose test accuracy is computed from features of the unmirrored images.
    /// Default <see cref="TestTimeAugmentation.None"/> (both presets).
    /// </summary>
    public TestTimeAugmentation TestTimeAugmentation { get; set; }

    /// <summary>
    /// Stop when the validation accuracy has not improved for this many epochs, and in any case end with the weights
    /// of the epoch with the best validation accuracy. Needs <see cref="ValidationSet"/>. Default null: off (both presets).
    /// </summary>
    public int? EarlyStoppingPatience { get; set; }

    /// <summary>
    /// Rescale the gradients before each step so that their overall L2 norm is at most this value. Default null: no
    /// clipping (both presets).
    /// </summary>
    public double? GradientClipNorm { get; set; }

    /// <summary>
    /// Initial weights. Default <see cref="WeightInitialization.Kaiming"/>; recipe <see cref="WeightInitialization.Xavier"/>.
    /// </summary>
    public WeightInitialization Initialization { get; set; } = WeightInitialization.Kaiming;

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
    /// Seed of the initial weights, the per-epoch shuffling and the augmentation. Default null: drawn from the MLContext's
    /// random source, so an MLContext created with a seed gives repeatable training.
    /// </summary>
    public int? Seed { get; set; }

    /// <summary>
    /// Threads libtorch uses for each operation while <c>Fit</c> runs; the caller's count is restored when <c>Fit</c>
    /// returns, throws or is cancelled (when <c>Fit</c> calls overlap, on each one's thread as it ends and for the whole
    /// process when the last ends). Default null: leave the count as it is (libtorch's default is one per core).
    /// </summary>
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
    /// (<see cref="Native.NativeMemory.KeepFreedMemory"/>): faster CPU training (docs/performance.md; Fit's log says so
    /// when it is off). Process-wide and lasting — the C allocator's settings cannot be read back, so <c>Fit</c> cannot
    /// restore them, and the process keeps its peak native memory until it exits — so it is off unless the caller asks
    /// for it (the <c>googlenet</c> command line does, for its own process). Default false.
    /// </summary>
    public bool KeepNativeMemory { get; set; }

    /// <summary>
    /// On a GPU, train, and score with the fitted transformer, with the convolution weights, and so the activations, laid
    /// out channels-last (<see cref="GoogLeNetNetwork.UseChannelsLast"/>): the layout cuDNN convolves fastest. On a CPU
    /// the library always convolves channels-last, whatever this says: libtorch's plain-layout CPU convolution is wrong
    /// on some processors (docs/troubleshooting.md), and channels-last is the faster layout there too
    /// (docs/performance.md). The trained model is the same: only the memory order of
    /// <see cref="GoogLeNetTransformer.Network"/>'s convolution weights differs, not their shapes or values. Default true.
    /// </summary>
    public bool ChannelsLast { get; set; } = true;

    /// <summary>
    /// Reduced-precision training: <see cref="MixedPrecision.BFloat16"/> autocasts the forward pass to bf16
    /// on CUDA devices and on CPUs with native bf16 arithmetic; elsewhere training stays in fp32 with a warning.
    /// <see cref="MixedPrecision.Auto"/> takes bf16 where a short probe at the start of training measures it faster, and
    /// fp32 without a probe on CPUs without native bf16 and for small work (docs/performance.md); the training log says
    /// which it took and why. Since the probe measures, a device where the two modes are close may choose differently
    /// from run to run: set <see cref="MixedPrecision.None"/> or <see cref="MixedPrecision.BFloat16"/> where two runs
    /// must give the same weights. Default <see cref="MixedPrecision.Auto"/>; the recipe preset's is always
    /// <see cref="MixedPrecision.None"/>.
    /// </summary>
    public MixedPrecision MixedPrecision { get; set; } = MixedPrecision.Auto;

    /// <summary>
    /// Test hook of <see cref="MixedPrecision.Auto"/>: the multiply-accumulates per batch from which the probe runs
    /// (null: <see cref="Training.AutoPrecision.ProbeMinimumMultiplyAccumulates"/>).
    /// </summary>
    internal long? AutoProbeMinimumMultiplyAccumulates { get; set; }

    /// <summary>Test hook of <see cref="MixedPrecision.Auto"/>: the mode taken after the probe has run, whatever it measured (null: its decision).</summary>
    internal MixedPrecision? AutoProbeForcedChoice { get; set; }

    /// <summary>
    /// On CUDA devices, let cuDNN time its convolution algorithms on the first batch and keep the fastest (PyTorch's
    /// <c>cudnn.benchmark</c>). The switch is process-wide: it is set while <c>Fit</c> runs and restored when it returns,
    /// throws or is cancelled. Autotuning may pick a different algorithm from run to run, so GPU training is not
    /// bit-for-bit repeatable with it on (docs/reliability.md). No effect on the CPU. Default true.
    /// </summary>
    public bool CudnnAutotune { get; set; } = true;

    /// <summary>
    /// On CUDA devices, let matrix products and cuDNN convolutions use TF32 arithmetic (Ampere and later GPUs: inputs
    /// rounded to a 10-bit mantissa, sums in fp32), which is faster than full fp32; false keeps full fp32. The switches
    /// are process-wide: they are set while <c>Fit</c> runs and restored when it returns, throws or is cancelled.
    /// Scoring after <c>Fit</c> runs with the caller's setting. No effect on the CPU. Default true.
    /// </summary>
    public bool AllowTf32 { get; set; } = true;

    /// <summary>Batches prepared on a background thread ahead of the network. Default 2.</summary>
    public int PrefetchBatches { get; set; } = 2;

    /// <summary>Images scored together by <c>Transform</c>. Default 64.</summary>
    public int ScoringBatchSize { get; set; } = 64;

    /// <summary>
    /// Folder to write checkpoints to: at the end of every epoch (and every <see cref="CheckpointEveryBatches"/> batches),
    /// a file with everything needed to continue training exactly where it stood (<see cref="ResumeFrom"/>;
    /// docs/checkpoints.md). Each is written under a temporary name and renamed, so a crash never leaves a partial one.
    /// A run holds the folder (a lock on its file <c>.googlenet.lock</c>) from the start of <c>Fit</c> to its end, and a second
    /// run given the same folder meanwhile is refused; the lock goes with the process, however it ends. Default null: no
    /// checkpoints.
    /// </summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>
    /// With <see cref="CheckpointDirectory"/>: also write a checkpoint every this many batches, for epochs long enough
    /// to lose. Default 0: at the end of each epoch only.
    /// </summary>
    public int CheckpointEveryBatches { get; set; }

    /// <summary>With <see cref="CheckpointDirectory"/>: how many of the latest checkpoints to keep; older ones are deleted. Default 3.</summary>
    public int KeepCheckpoints { get; set; } = 3;

    /// <summary>
    /// Continue an interrupted run from a checkpoint file, or from the latest checkpoint in a folder: weights,
    /// normalisation statistics, optimiser state, learning-rate schedule, position in the epoch and the random draws
    /// are restored, so that on the CPU with the same thread count it ends with the same weights as a run that was
    /// never interrupted. The checkpoint must come from a run with the same data columns, classes, network, seed and
    /// training options; <c>Fit</c> refuses any other and says what differs. Default null: start afresh.
    /// </summary>
    public string? ResumeFrom { get; set; }

    /// <summary>
    /// Start from trained weights instead of random ones — a checkpoint (a <c>.ckpt</c> file, or the latest in a
    /// folder), a PyTorch <c>state_dict</c> (<c>.pt</c>, <c>.pth</c>) or safetensors file with the network's keys
    /// (docs/export.md; PyTorch's zip format or its format before 1.6), a model zip saved by this library (any other file),
    /// or published weights by name (<c>torchvision:googlenet</c>, <c>torchvision:inception_v3</c>) or by an http(s)
    /// address whose file name carries the start of its SHA-256 as torch.hub's names do (<c>…/weights-1a2b3c4d.pth</c>):
    /// taken from PyTorch's hub cache, <c>$TORCH_HOME/hub/checkpoints</c>, or downloaded there and checked against that
    /// SHA-256; not with <c>GOOGLENET_OFFLINE=1</c>; docs/transfer-learning.md — and train them on this data with these options,
    /// from the first epoch with a new optimiser. The network (architecture, image shape, <see cref="WidthDivisor"/>)
    /// must be the source's; with the same classes everything is kept, with other classes the classifier head is new.
    /// <see cref="ResumeFrom"/>, when also set, takes precedence. Default null: random initial weights.
    /// </summary>
    public string? FineTuneFrom { get; set; }

    /// <summary>
    /// With <see cref="FineTuneFrom"/>: for this many first epochs train only the classifier head and keep the other
    /// weights as they are (their batch-normalisation statistics still adapt to the new data); afterwards the backbone
    /// trains at <see cref="BackboneLearningRateFactor"/> times the head's rate. Default 0.
    /// </summary>
    public int FreezeEpochs { get; set; }

    /// <summary>
    /// With <see cref="FineTuneFrom"/>: the learning rate of the backbone (every layer before the classifier head) as a
    /// fraction of the head's, in (0, 1], in every step of the schedule, so that the new head learns fast while the
    /// pretrained layers move little. The backbone's batch-normalisation statistics keep adapting to the new data, as
    /// in any training. Without <see cref="FineTuneFrom"/> every layer starts from random weights and trains at the
    /// full rate, and this is not used; with <see cref="FreezeBackbone"/> the backbone does not train at all.
    /// Default 0.1.
    /// </summary>
    public double BackboneLearningRateFactor { get; set; } = 0.1;

    /// <summary>
    /// With <see cref="FineTuneFrom"/>: train only the classifier head, on features that the backbone, kept exactly as
    /// <see cref="FineTuneFrom"/> gives it, computes once per image — the way of ML.NET's ImageClassificationTrainer.
    /// The backbone runs in scoring mode (batch-normalisation statistics do not move, dropout is off) without
    /// gradients, once over the training and validation images before the first epoch; the epochs then train the head
    /// on those features kept in memory (shuffled each epoch, with the optimiser and schedule of these options), so
    /// they take seconds. <see cref="Augmentation"/> and <see cref="HorizontalFlip"/> do not apply (each image's features
    /// are computed once, from the image as it is; the log says so), and the features of all images (the width of the
    /// last stage per image: 1,024 floats for GoogLeNet) must fit in a quarter of the available memory. Needs <see cref="FineTuneFrom"/>: a backbone of random weights
    /// gives features not worth training a head on. Cannot be combined with <see cref="FreezeEpochs"/> (every epoch is
    /// frozen already) or <see cref="ResumeFrom"/>. The saved model is an ordinary one: the same network, with the
    /// backbone of <see cref="FineTuneFrom"/> and the trained head. Default false.
    /// </summary>
    public bool FreezeBackbone { get; set; }

    /// <summary>
    /// Train the auxiliary classifiers of the torchvision networks alongside the network:
    /// <see cref="NetworkArchitecture.GoogLeNetTorchvision"/>'s <c>aux1</c> after inception4a and <c>aux2</c> after
    /// inception4d, as the paper's GoogLeNet has them, and <see cref="NetworkArchitecture.InceptionV3Torchvision"/>'s
    /// <c>AuxLogits</c> after Mixed_6e, which needs images of 299×299 or more. In training the loss is the main
    /// classifier's plus <see cref="AuxiliaryLossWeight"/> times each auxiliary classifier's (the same criterion, label
    /// smoothing included), so that they send gradients into the middle of the network. With <see cref="FineTuneFrom"/> a
    /// torchvision file's weights of them are loaded into them (their last layer, <c>fc2</c> or <c>fc</c>, is new when
    /// the classes differ, as the head is), or, when the file has none, they start from fresh weights; they train at the
    /// classifier head's learning rate. Scoring, evaluation, explanations, the saved model and <c>export</c> never use or
    /// hold them: the fitted network is torchvision's <c>aux_logits=False</c> layout. Checkpoints hold them, so that a
    /// resumed run continues them. Only those two architectures have them; cannot be combined with
    /// <see cref="FreezeBackbone"/>, which trains the head alone. Default false: a file's auxiliary classifiers are left
    /// out and the log says so.
    /// </summary>
    public bool TrainAuxiliaryClassifiers { get; set; }

    /// <summary>
    /// The weight of each auxiliary classifier's loss with <see cref="TrainAuxiliaryClassifiers"/>: 0.3, the GoogLeNet
    /// paper's and torchvision's, for Inception-v3's too (whose paper gives none).
    /// </summary>
    public const double AuxiliaryLossWeight = 0.3;

    /// <summary>
    /// Receives one <see cref="TrainingStart"/> before the first batch: what the run starts from — the network's initial
    /// weights, the weights of <see cref="FineTuneFrom"/> (with a new classifier head or not), or the checkpoint of
    /// <see cref="ResumeFrom"/> and the epoch and batch training goes on from — to show the user. Default null.
    /// </summary>
    public IProgress<TrainingStart>? StartProgress { get; set; }

    /// <summary>Receives an <see cref="EpochReport"/> after every epoch. Default null.</summary>
    public IProgress<EpochReport>? EpochProgress { get; set; }

    /// <summary>Receives a <see cref="BatchProgress"/> after every batch, for progress bars. Default null.</summary>
    public IProgress<BatchProgress>? BatchProgress { get; set; }

    /// <summary>Stops training between batches; <c>Fit</c> then throws <see cref="OperationCanceledException"/>. Default none.</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>The optimisation settings in one line, for logs: "10 epochs, batch 64, AdamW learning rate 0.005 (OneCycle, warmup 0.3), …".</summary>
    public override string ToString()
    {
        var o = this;
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{o.Epochs} epochs, batch {o.BatchSize}, {o.Optimizer} learning rate {o.LearningRate:G4} ({o.LearningRateSchedule}, warmup {o.WarmupFraction:G3})");
        if (o.Optimizer == OptimizerKind.Sgd)
            text += string.Create(CultureInfo.InvariantCulture, $", momentum {o.Momentum:G3}{(o.UsesNesterov ? " (Nesterov)" : "")}");
        text += string.Create(CultureInfo.InvariantCulture,
            $", weight decay {o.WeightDecay:G3}, label smoothing {o.LabelSmoothing:G3}, augmentation {o.Augmentation}{(o.HorizontalFlip ? " + horizontal flip" : "")}, {o.Initialization} initialisation");
        if (o.FreezeBackbone)
            text += ", backbone frozen (its features computed once, only the head trained)";
        else if (o.FineTuneFrom is not null)
            text += string.Create(CultureInfo.InvariantCulture, $", backbone learning rate × {o.BackboneLearningRateFactor:G3}");
        if (o.TrainAuxiliaryClassifiers)
            text += string.Create(CultureInfo.InvariantCulture, $", auxiliary classifiers trained (loss weight {AuxiliaryLossWeight:G3} each)");
        if (o.TestTimeAugmentation != TestTimeAugmentation.None)
            text += $", scored with test-time augmentation {o.TestTimeAugmentation}";
        if (o.GradientClipNorm is { } clip)
            text += string.Create(CultureInfo.InvariantCulture, $", gradient norm clipped at {clip:G3}");
        if (o.EarlyStoppingPatience is { } patience)
            text += string.Create(CultureInfo.InvariantCulture, $", early stopping after {patience} epoch(s) without improvement");
        return text;
    }

    /// <summary>A copy, so that a trainer is not affected by later changes to the options object it was given.</summary>
    internal GoogLeNetTrainerOptions Clone() => (GoogLeNetTrainerOptions)MemberwiseClone();

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming the first invalid option.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is invalid; <c>ParamName</c> is the option's name.</exception>
    public void Validate()
    {
        if (FindProblem() is { } problem)
            throw new ArgumentOutOfRangeException(problem.Option, problem.Value, $"GoogLeNetTrainerOptions.{problem.Option} {problem.Rule}.");
    }

    /// <summary>The first invalid option, or null when all are valid.</summary>
    public OptionProblem? FindProblem()
    {
        OptionProblem? problem = null;
        void Require(bool ok, string option, object? value, string rule)
        {
            if (!ok && problem is null)
                problem = new OptionProblem(option, value, rule);
        }

        Require(!string.IsNullOrWhiteSpace(LabelColumnName), nameof(LabelColumnName), LabelColumnName, "must name a column");
        Require(!string.IsNullOrWhiteSpace(FeatureColumnName), nameof(FeatureColumnName), FeatureColumnName, "must name a column");
        Require(ArchitectureTable.Contains(Architecture), nameof(Architecture), Architecture, "is not a network this library builds");
        Require(FineTuneFrom is null || !PublishedWeights.IsUrl(FineTuneFrom) || PublishedWeights.Find(FineTuneFrom) is not null,
            nameof(FineTuneFrom), FineTuneFrom, $"is an address, and {PublishedWeights.UrlRule}");
        Require(Epochs >= 1, nameof(Epochs), Epochs, "must be at least 1");
        Require(BatchSize >= 1, nameof(BatchSize), BatchSize, "must be at least 1");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "must be a positive number");
        Require(Enum.IsDefined(Optimizer), nameof(Optimizer), Optimizer, "is not a known optimiser");
        Require(Momentum >= 0 && Momentum < 1, nameof(Momentum), Momentum, "must be in [0, 1)");
        Require(WeightDecay >= 0 && double.IsFinite(WeightDecay), nameof(WeightDecay), WeightDecay, "must be 0 or more");
        Require(Enum.IsDefined(LearningRateSchedule), nameof(LearningRateSchedule), LearningRateSchedule, "is not a known schedule");
        Require(WarmupFraction is >= 0 and <= 0.9, nameof(WarmupFraction), WarmupFraction, "must be in [0, 0.9]");
        Require(StepDecayEpochs >= 1, nameof(StepDecayEpochs), StepDecayEpochs, "must be at least 1");
        Require(StepDecayFactor > 0 && StepDecayFactor <= 1, nameof(StepDecayFactor), StepDecayFactor, "must be in (0, 1]");
        Require(LabelSmoothing is >= 0 and < 1, nameof(LabelSmoothing), LabelSmoothing, "must be in [0, 1)");
        Require(Enum.IsDefined(Augmentation), nameof(Augmentation), Augmentation, "is not a known augmentation");
        Require(MaxTranslation is >= 0 and < 0.5, nameof(MaxTranslation), MaxTranslation, "must be in [0, 0.5)");
        Require(EarlyStoppingPatience is null or >= 1, nameof(EarlyStoppingPatience), EarlyStoppingPatience, "must be at least 1 epoch");
        Require(EarlyStoppingPatience is null || ValidationSet is not null, nameof(EarlyStoppingPatience), EarlyStoppingPatience,
            "needs a ValidationSet to measure the accuracy on");
        Require(GradientClipNorm is not { } clip || (clip > 0 && double.IsFinite(clip)), nameof(GradientClipNorm),
            GradientClipNorm, "must be a positive number");
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
        Require(CheckpointDirectory is null || !string.IsNullOrWhiteSpace(CheckpointDirectory), nameof(CheckpointDirectory),
            CheckpointDirectory, "must name a folder, or be null for no checkpoints");
        Require(CheckpointEveryBatches >= 0, nameof(CheckpointEveryBatches), CheckpointEveryBatches, "must be 0 (epoch ends only) or more");
        Require(CheckpointEveryBatches == 0 || CheckpointDirectory is not null, nameof(CheckpointEveryBatches), CheckpointEveryBatches,
            "needs a CheckpointDirectory to write to");
        Require(KeepCheckpoints >= 1, nameof(KeepCheckpoints), KeepCheckpoints, "must be at least 1");
        Require(ResumeFrom is null || !string.IsNullOrWhiteSpace(ResumeFrom), nameof(ResumeFrom), ResumeFrom,
            "must name a checkpoint file or folder, or be null");
        Require(FineTuneFrom is null || !string.IsNullOrWhiteSpace(FineTuneFrom), nameof(FineTuneFrom), FineTuneFrom,
            "must name a checkpoint file or folder or a model zip, or be null");
        Require(FreezeEpochs >= 0, nameof(FreezeEpochs), FreezeEpochs, "must be 0 or more");
        Require(FreezeEpochs == 0 || FineTuneFrom is not null, nameof(FreezeEpochs), FreezeEpochs,
            "needs FineTuneFrom: only weights trained before are worth keeping frozen");
        Require(BackboneLearningRateFactor is > 0 and <= 1, nameof(BackboneLearningRateFactor), BackboneLearningRateFactor,
            "must be in (0, 1]");
        Require(!FreezeBackbone || FineTuneFrom is not null, nameof(FreezeBackbone), FreezeBackbone,
            "needs FineTuneFrom: the features of a backbone with random weights are not worth training a head on; train without it to learn every layer");
        Require(!FreezeBackbone || FreezeEpochs == 0, nameof(FreezeEpochs), FreezeEpochs,
            "must be 0 with FreezeBackbone, which keeps the backbone frozen in every epoch");
        Require(!FreezeBackbone || TestTimeAugmentation == TestTimeAugmentation.None, nameof(TestTimeAugmentation), TestTimeAugmentation,
            "must be None with FreezeBackbone, whose test accuracy is computed from features of the images as they are, not mirrored: train without FreezeBackbone to score with the mirror");
        Require(!FreezeBackbone || ResumeFrom is null, nameof(ResumeFrom), ResumeFrom,
            "cannot continue a FreezeBackbone run, whose epochs train the head from features computed at its start: run it again from FineTuneFrom");
        Require(!TrainAuxiliaryClassifiers || !ArchitectureTable.Contains(Architecture) || ArchitectureTable.Of(Architecture).AuxiliaryClassifiers.Count > 0, nameof(TrainAuxiliaryClassifiers),
            TrainAuxiliaryClassifiers, $"needs an architecture with auxiliary classifiers ({string.Join(" or ", ArchitectureTable.All.Where(e => e.AuxiliaryClassifiers.Count > 0).Select(e => $"{e.Architecture}, '{e.Name}' on the command line"))}); {Architecture} has none: train without it");
        Require(!TrainAuxiliaryClassifiers || !FreezeBackbone, nameof(TrainAuxiliaryClassifiers), TrainAuxiliaryClassifiers,
            "cannot be combined with FreezeBackbone, which trains the classifier head alone on fixed features: leave out one of the two");
        return problem;
    }
}

/// <summary>An invalid option: its name, its value and the rule it breaks ("must be at least 1").</summary>
/// <param name="Option">The <see cref="GoogLeNetTrainerOptions"/> property.</param>
/// <param name="Value">Its value.</param>
/// <param name="Rule">What it must be, as a phrase that follows the option's name.</param>
public sealed record OptionProblem(string Option, object? Value, string Rule);

/// <summary>Named sets of <see cref="GoogLeNetTrainerOptions"/> values.</summary>
public enum TrainingPreset
{
    /// <summary>
    /// The batch-normalised GoogLeNet, AdamW (peak rate 0.005, weight decay 0.05 on the weights only), a one-cycle
    /// learning rate with 30% warmup, label smoothing 0.1, random translations of up to a tenth of the image, Kaiming
    /// initialisation, batches of 64, 10 epochs: learns folders of a few thousand images as well as Fashion-MNIST.
    /// </summary>
    Default,

    /// <summary>
    /// The Dive into Deep Learning recipe exactly: the plain GoogLeNet, SGD at 0.1 without momentum, batch 128,
    /// 5 epochs, Xavier initialisation, nothing else (see <see cref="GoogLeNetTrainerOptions.Recipe"/>).
    /// </summary>
    Recipe,
}
