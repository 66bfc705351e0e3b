using System.ComponentModel;
using MLNet.GoogLeNet.Cli.Jobs;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Export;
using MLNet.GoogLeNet.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.GoogLeNet.Cli.Commands;

/// <summary>
/// Options of <c>googlenet train</c>. The training options start from the chosen preset
/// (<see cref="GoogLeNetTrainerOptions"/>), and only those given on the command line change it; the rest say where the
/// data is, how it is prepared, and where the results go.
/// </summary>
internal class TrainSettings : DeviceSettings
{
    private const string PresetDefault = "Default: the preset's (see googlenet presets).";

    [CommandOption("--preset <NAME>")]
    [Description("The training options the others change: default (batch-normalised network, AdamW, one-cycle) or recipe (the Dive into Deep Learning recipe exactly). Default: default. See googlenet presets.")]
    public string Preset { get; init; } = "default";

    [CommandOption("--data <DIR>")]
    [Description("Fashion-MNIST IDX folder, or an image folder with one sub-folder per class. Default: " + DebianFashionMnist.Folder)]
    public string DataFolder { get; init; } = DebianFashionMnist.Folder;

    [CommandOption("--architecture <NAME>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.Architecture))]
    [Description("googlenet (the recipe's), googlenet-bn (batch normalisation after every convolution), inception-v3 or inception-resnet (its successors), googlenet-torchvision and inception-v3-torchvision (torchvision's GoogLeNet and Inception-v3, for their ImageNet weights with --from torchvision:googlenet or torchvision:inception_v3; 224×224 and 299×299 RGB; docs/architectures.md). Default: with --from, the network the file holds; else the preset's (see googlenet presets).")]
    public string? Architecture { get; init; }

    [CommandOption("--epochs <N>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.Epochs))]
    [Description("Passes over the training data. " + PresetDefault)]
    public int? Epochs { get; init; }

    [CommandOption("--batch-size <N>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.BatchSize))]
    [Description("Images per optimiser step. " + PresetDefault)]
    public int? BatchSize { get; init; }

    [CommandOption("--optimizer <NAME>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.Optimizer))]
    [Description("sgd, adam or adamw. " + PresetDefault)]
    public string? Optimizer { get; init; }

    [CommandOption("--learning-rate <RATE>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.LearningRate))]
    [Description("Peak learning rate (about 0.1 for sgd, 0.001-0.005 for adam and adamw). " + PresetDefault)]
    public double? LearningRate { get; init; }

    [CommandOption("--momentum <M>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.Momentum))]
    [Description("SGD momentum, at least 0 and below 1. " + PresetDefault)]
    public double? Momentum { get; init; }

    [CommandOption("--nesterov")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.Nesterov))]
    [Description("SGD with Nesterov momentum whenever --momentum is above 0 (with momentum 0 the step is plain SGD). Without it or --no-nesterov: the preset's.")]
    public bool Nesterov { get; init; }

    [CommandOption("--no-nesterov")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.Nesterov))]
    [Description("SGD with classical momentum instead of Nesterov's.")]
    public bool NoNesterov { get; init; }

    [CommandOption("--weight-decay <W>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.WeightDecay))]
    [Description("Weight decay of convolution and dense weights (never of biases or normalisation parameters). " + PresetDefault)]
    public double? WeightDecay { get; init; }

    [CommandOption("--schedule <NAME>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.LearningRateSchedule))]
    [Description("Learning-rate schedule, set every step: constant, step, cosine or one-cycle. " + PresetDefault)]
    public string? Schedule { get; init; }

    [CommandOption("--warmup <FRACTION>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.WarmupFraction))]
    [Description("Fraction of the steps spent rising to the peak learning rate, 0 to 0.9. " + PresetDefault)]
    public double? Warmup { get; init; }

    [CommandOption("--step-decay-epochs <N>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.StepDecayEpochs))]
    [Description("--schedule step: epochs between two decays of the rate. " + PresetDefault)]
    public int? StepDecayEpochs { get; init; }

    [CommandOption("--step-decay-factor <F>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.StepDecayFactor))]
    [Description("--schedule step: what each decay multiplies the rate by, above 0 and at most 1. " + PresetDefault)]
    public double? StepDecayFactor { get; init; }

    [CommandOption("--label-smoothing <E>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.LabelSmoothing))]
    [Description("Label smoothing of the loss, at least 0 and below 1. " + PresetDefault)]
    public double? LabelSmoothing { get; init; }

    [CommandOption("--augment <KIND>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.Augmentation))]
    [Description("Training-time augmentation: none, translate (random crop with zero padding) or resized-crop. " + PresetDefault)]
    public string? Augment { get; init; }

    [CommandOption("--max-translation <FRACTION>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.MaxTranslation))]
    [Description("With --augment translate: the largest shift, as a fraction of the image size. " + PresetDefault)]
    public double? MaxTranslation { get; init; }

    [CommandOption("--hflip")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.HorizontalFlip))]
    [Description("Also mirror training images left to right: only when a mirrored image is of the same class. Without it: the preset's (off in both).")]
    public bool HorizontalFlip { get; init; }

    [CommandOption("--tta <KIND>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.TestTimeAugmentation))]
    [Description("How the trained model scores an image: none, or hflip (the mean of the class probabilities of the image and of its left-right mirror; only when a mirrored image is of the same class). The saved zip scores the same way. " + PresetDefault)]
    public string? Tta { get; init; }

    [CommandOption("--early-stopping <EPOCHS>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.EarlyStoppingPatience))]
    [Description("Stop when the test accuracy has not improved for this many epochs, and keep the best epoch's weights. " + PresetDefault)]
    public int? EarlyStopping { get; init; }

    [CommandOption("--clip-grad-norm <NORM>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.GradientClipNorm))]
    [Description("Clip the gradients' overall L2 norm to this value before each step. " + PresetDefault)]
    public double? ClipGradNorm { get; init; }

    [CommandOption("--init <KIND>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.Initialization))]
    [Description("Weight initialisation: xavier or kaiming. " + PresetDefault)]
    public string? Initialization { get; init; }

    [CommandOption("--width-divisor <N>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.WidthDivisor))]
    [Description("Divide every channel count of the network by N (1 = the recipe's network). Default: with --from, its network's; else the preset's (see googlenet presets).")]
    public int? WidthDivisor { get; init; }

    [CommandOption("--image-size <PIXELS>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.ImageHeight))]
    [SetsOption(nameof(GoogLeNetTrainerOptions.ImageWidth))]
    [Description("Height and width the images are resized to. Default: with --from, the size its network was trained at; else the size the architecture is made for, the recipe's 96 (224 for googlenet-torchvision, 299 for inception-v3-torchvision).")]
    public int? ImageSize { get; init; }

    /// <summary>
    /// The row of the architecture <see cref="BuildOptions"/> chooses: the command line's, else the one --from holds,
    /// else the preset's (with a wrong name, which BuildOptions reports, the one it would have been without it).
    /// </summary>
    private ArchitectureEntry ArchitectureRow => ArchitectureTable.Of(BuildOptions().Options.Architecture);

    /// <summary>
    /// The network --from holds (<see cref="StartingNetwork"/>), read once: its architecture, image size, channels and
    /// width divisor are the defaults of --architecture, --image-size, --channels and --width-divisor, which must match
    /// it. Null without --from, or when the file holds no network of this library (training then refuses it).
    /// </summary>
    private (NetworkArchitecture Architecture, GoogLeNetConfiguration? Configuration)? FromNetwork =>
        (_fromNetwork ??= new(() => From is null ? null : StartingNetwork.Of(From))).Value;

    private Lazy<(NetworkArchitecture Architecture, GoogLeNetConfiguration? Configuration)?>? _fromNetwork;

    /// <summary>The square image size the network --from holds was trained at, if the file records it.</summary>
    private int? FromImageSize => FromNetwork?.Configuration is { } saved && saved.ImageHeight == saved.ImageWidth ? saved.ImageHeight : null;

    /// <summary>--image-size, else that of the network --from holds, else the architecture's own size.</summary>
    internal int EffectiveImageSize => ImageSize ?? FromImageSize ?? ArchitectureRow.DefaultImageSize;

    [CommandOption("--channels <N>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.ImageChannels))]
    [Description("1 (grayscale) or 3 (RGB). Default: with --from, its network's; else 3 for googlenet-torchvision, inception-v3-torchvision and for an image folder with any image in colour, else 1.")]
    public int? Channels { get; init; }

    /// <summary>
    /// --channels, else those of the network --from holds, else the architecture's own (3 for the torchvision networks),
    /// else null: what the data holds.
    /// </summary>
    internal int? EffectiveChannels => Channels ?? FromNetwork?.Configuration?.InputChannels ?? ArchitectureRow.DefaultChannels;

    /// <summary>
    /// What the run takes from the network --from holds because the command line does not say, in words, or null when
    /// it takes nothing: "--from holds a googlenet-torchvision network (3×112×112, width divisor 1): training with its
    /// architecture, image size, channels and width divisor (--architecture, --image-size, --channels and
    /// --width-divisor would change them)."
    /// </summary>
    internal string? FromNetworkNote
    {
        get
        {
            if (FromNetwork is not { } from)
                return null;
            var taken = new List<(string What, string Option)>();
            if (Architecture is null) taken.Add(("architecture", "--architecture"));
            if (ImageSize is null && FromImageSize is not null) taken.Add(("image size", "--image-size"));
            if (Channels is null && from.Configuration is not null) taken.Add(("channels", "--channels"));
            if (WidthDivisor is null && from.Configuration is not null) taken.Add(("width divisor", "--width-divisor"));
            if (taken.Count == 0)
                return null;
            string name = ArchitectureTable.Of(from.Architecture).NameWithArticle;
            string shape = from.Configuration is { } c
                ? $" ({c.InputChannels}×{c.ImageHeight}×{c.ImageWidth}, width divisor {c.WidthDivisor})"
                : "";
            static string List(IEnumerable<string> words)
            {
                var all = words.ToList();
                return all.Count == 1 ? all[0] : string.Join(", ", all.Take(all.Count - 1)) + " and " + all[^1];
            }
            return $"--from holds {name} network{shape}: training with its {List(taken.Select(t => t.What))} " +
                   $"({List(taken.Select(t => t.Option))} would change {(taken.Count == 1 ? "it" : "them")}).";
        }
    }

    [CommandOption("--limit <N>")]
    [Description("Use only the first N training images (a subset). Default: all.")]
    public int? TrainLimit { get; init; }

    [CommandOption("--test-limit <N>")]
    [Description("Use only the first N test images. Default: all.")]
    public int? TestLimit { get; init; }

    [CommandOption("--test-fraction <F>")]
    [Description("Image folders: fraction of each class held out for testing.")]
    [DefaultValue(DataSet.DefaultTestFraction)]
    public double TestFraction { get; init; } = DataSet.DefaultTestFraction;

    [CommandOption("--group-by <REGEX>")]
    [Description(GroupingOptions.GroupByHelp)]
    public string? GroupBy { get; init; }

    [CommandOption("--group-by-folder")]
    [Description(GroupingOptions.GroupByFolderHelp)]
    public bool GroupByFolder { get; init; }

    [CommandOption("--fallback-to-cpu")]
    [Description("Train on the CPU when the GPU asked for is not available.")]
    public bool FallbackToCpu { get; init; }

    [CommandOption("--threads <N>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.NumberOfThreads))]
    [Description("TorchSharp threads. Default: one per core.")]
    public int? Threads { get; init; }

    [CommandOption("--cache")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.CacheFeatures))]
    [Description("Keep the preprocessed images in memory after the first epoch, whatever their size. Default: when they take at most a quarter of the memory.")]
    public bool Cache { get; init; }

    [CommandOption("--no-cache")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.CacheFeatures))]
    [Description("Never keep the preprocessed images: every epoch decodes and resizes them again.")]
    public bool NoCache { get; init; }

    [CommandOption("--shuffle-pool <ROWS>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.ShufflePoolSize))]
    [Description("Rows ML.NET shuffles among at a time each epoch (more: a more thorough shuffle, more memory). Default: the trainer's (GoogLeNetTrainerOptions.ShufflePoolSize).")]
    public int? ShufflePool { get; init; }

    [CommandOption("--prefetch <BATCHES>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.PrefetchBatches))]
    [Description("Batches read and preprocessed ahead of the one training. Default: the trainer's (GoogLeNetTrainerOptions.PrefetchBatches).")]
    public int? Prefetch { get; init; }

    [CommandOption("--scoring-batch-size <N>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.ScoringBatchSize))]
    [Description("Images the trained model scores at once when evaluating. Default: the trainer's (GoogLeNetTrainerOptions.ScoringBatchSize).")]
    public int? ScoringBatchSize { get; init; }

    private const string DefaultBadImages = "skip";

    [CommandOption("--bad-images <POLICY>")]
    [Description("Image folders: skip (report and leave out) or fail on files that cannot be decoded.")]
    [DefaultValue(DefaultBadImages)]
    public string BadImages { get; init; } = DefaultBadImages;

    [CommandOption("--max-pixels <N>")]
    [Description(MaxPixelsOption.Help)]
    [DefaultValue(ImageFileCheck.MaximumPixels)]
    public long MaxPixels { get; init; } = ImageFileCheck.MaximumPixels;

    [CommandOption("--no-validation")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.ValidationSet))]
    [Description("Do not score the test images after every epoch (faster; no 'test acc' per epoch; no --early-stopping).")]
    public bool NoValidation { get; init; }

    [CommandOption("--checkpoint-dir <DIR>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.CheckpointDirectory))]
    [Description("Write a checkpoint to DIR at the end of every epoch (and every --checkpoint-every batches), to continue after a crash with --resume. One run writes to a DIR at a time: a second is refused. Default: none.")]
    public string? CheckpointDir { get; init; }

    [CommandOption("--checkpoint-every <BATCHES>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.CheckpointEveryBatches))]
    [Description("With --checkpoint-dir: also write a checkpoint every this many batches. Default: at epoch ends only.")]
    public int? CheckpointEvery { get; init; }

    [CommandOption("--keep-checkpoints <K>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.KeepCheckpoints))]
    [Description("With --checkpoint-dir: keep the latest K checkpoints and delete older ones. Default: the trainer's (GoogLeNetTrainerOptions.KeepCheckpoints).")]
    public int? KeepCheckpoints { get; init; }

    [CommandOption("--resume [PATH]")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.ResumeFrom))]
    [Description("Continue an interrupted run, given again with the same options, from a checkpoint file or the latest in a folder; without PATH, the latest in --checkpoint-dir.")]
    public FlagValue<string>? Resume { get; init; }

    [CommandOption("--from <PATH|NAME>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.FineTuneFrom))]
    [Description("Fine-tune: start from the weights of a model zip saved by googlenet, a checkpoint (.ckpt file, or the latest in a folder), or a PyTorch state_dict (.pt, .pth) or safetensors file with the network's keys (googlenet export --state-dict writes one), or published weights by name: torchvision:googlenet or torchvision:inception_v3 (torchvision's ImageNet GoogLeNet and Inception-v3, googlenet-1378be20.pth and inception_v3_google-0cc3c7bd.pth), or by an http(s) address whose file name ends in -SHA256PREFIX.pth as torch.hub's do; taken from PyTorch's cache ($TORCH_HOME/hub/checkpoints) or downloaded there and checked, unless GOOGLENET_OFFLINE=1 (docs/transfer-learning.md); on this data; other classes get a new classifier head. The network's architecture, image size, channels and width divisor default to those the file holds (a state dict's keys tell its architecture).")]
    public string? From { get; init; }

    [CommandOption("--freeze-epochs <N>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.FreezeEpochs))]
    [Description("With --from: train only the classifier head for the first N epochs. " + PresetDefault)]
    public int? FreezeEpochs { get; init; }

    [CommandOption("--backbone-lr-factor <F>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.BackboneLearningRateFactor))]
    [Description("With --from: the learning rate of every layer before the classifier head, as a fraction (0 < F <= 1) of the head's. " + PresetDefault)]
    public double? BackboneLearningRateFactor { get; init; }

    [CommandOption("--freeze-backbone")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.FreezeBackbone))]
    [Description("With --from: keep every layer before the classifier head as --from gives it, compute its features of each image once (in scoring mode, no augmentation: the preset's is dropped, and --augment or --hflip are warned about and not applied) and train only the head on them; fast. Not with --freeze-epochs or --resume.")]
    public bool FreezeBackbone { get; init; }

    [CommandOption("--aux-classifiers")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.TrainAuxiliaryClassifiers))]
    [Description("googlenet-torchvision and inception-v3-torchvision only: train their auxiliary classifiers too (aux1 and aux2; AuxLogits, which needs 299×299), their losses added at the paper's weight (with --from, loaded from the file when it has them); the saved model never holds them. Without it, --from leaves a file's aux keys out. Not with --freeze-backbone.")]
    public bool AuxiliaryClassifiers { get; init; }

    private const string DefaultModelPath = "googlenet.zip";

    [CommandOption("--model <PATH>")]
    [Description("Where to save the model zip.")]
    [DefaultValue(DefaultModelPath)]
    public string ModelPath { get; init; } = DefaultModelPath;

    [CommandOption("--report-dir <DIR>")]
    [Description("Where to write training-metrics.json and training-curves.png. Default: the model's folder.")]
    public string? ReportFolder { get; init; }

    /// <summary>
    /// Batches in memory at once while training: the one being trained and those the reader prepares ahead
    /// (<see cref="GoogLeNetTrainerOptions.PrefetchBatches"/>, at most this many by default) and the one it fills.
    /// </summary>
    private const int BatchesInMemory = 4;

    /// <summary>
    /// Why the batches asked for cannot fit in this machine's memory, or null: <c>--batch-size</c> images of
    /// <c>--image-size</c>² pixels on up to three channels, as floats, <see cref="BatchesInMemory"/> times, must fit in
    /// half of the memory .NET may use, before any of it is allocated.
    /// </summary>
    private string? BatchMemory()
    {
        if (BatchSize is not { } batch || batch < 1)
            return null;
        int size = EffectiveImageSize;
        double bytes = (double)batch * (EffectiveChannels ?? 3) * size * size * sizeof(float) * BatchesInMemory;
        double available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return bytes <= available / 2 ? null
            : string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"--batch-size {batch} at {size}×{size} needs {bytes / (1 << 30):F1} GiB for its batches, more than half of the {available / (1 << 30):F1} GiB this process may use: give a smaller --batch-size or --image-size");
    }

    public override ValidationResult Validate()
    {
        if (base.Validate() is { Successful: false } device) return device;
        if (ImageSize is < GoogLeNetConfiguration.MinimumImageSize or > GoogLeNetConfiguration.MaximumImageSize)
            return ValidationResult.Error(
                $"--image-size must be between {GoogLeNetConfiguration.MinimumImageSize} and {GoogLeNetConfiguration.MaximumImageSize} (got {ImageSize})");
        if (BatchMemory() is { } memory)
            return ValidationResult.Error(memory);
        if (Channels is not (null or 1 or 3)) return ValidationResult.Error("--channels must be 1 or 3");
        if (TrainLimit is < 1 || TestLimit is < 1) return ValidationResult.Error("--limit and --test-limit must be at least 1");
        if (TestFraction is <= 0 or >= 1) return ValidationResult.Error($"--test-fraction must be between 0 and 1 (got {TestFraction})");
        if (GroupingOptions.FindProblem(GroupBy, GroupByFolder, DataFolder) is { } grouping) return ValidationResult.Error(grouping);
        if (MaxPixelsOption.FindProblem(MaxPixels) is { } maxPixels) return ValidationResult.Error(maxPixels);
        if (Cache && NoCache) return ValidationResult.Error("--cache and --no-cache cannot both be given");
        if (Nesterov && NoNesterov) return ValidationResult.Error("--nesterov and --no-nesterov cannot both be given");
        var policy = BadImagePolicy.Skip;
        if (OptionNames.TryParse(OptionNames.BadImagePolicies, BadImages, "--bad-images", ref policy) is { } badImages)
            return ValidationResult.Error(badImages);
        if (string.IsNullOrWhiteSpace(ModelPath)) return ValidationResult.Error("--model must name a file");
        if (Directory.Exists(ModelPath))
            return ValidationResult.Error($"--model '{ModelPath}' is a folder: give the path of the zip file to write");
        if (From is not null && !File.Exists(From) && !Directory.Exists(From) && !PublishedWeights.IsUrl(From) && PublishedWeights.Find(From) is null)
            return ValidationResult.Error($"--from: '{From}' not found, and not the name of published weights ({string.Join(", ", PublishedWeights.All.Select(w => w.Name))})");
        var (_, problem) = BuildOptions();
        return problem is null ? ValidationResult.Success() : ValidationResult.Error(problem);
    }

    /// <summary>
    /// The preset's options with the values given on the command line, or the first problem in the command line's
    /// words ("--learning-rate must be a positive number (got -1)").
    /// </summary>
    public (GoogLeNetTrainerOptions Options, string? Problem) BuildOptions()
    {
        var preset = TrainingPreset.Default;
        if (OptionNames.TryParse(OptionNames.Presets, Preset, "--preset", ref preset) is { } presetProblem)
            return (new GoogLeNetTrainerOptions(), presetProblem);
        var options = new GoogLeNetTrainerOptions(preset);
        if (FromNetwork is { } from)
        {
            options.Architecture = from.Architecture;
            if (from.Configuration is { } saved)
                options.WidthDivisor = saved.WidthDivisor;
        }
        var (architecture, optimizer, schedule, augmentation, initialization, tta) =
            (options.Architecture, options.Optimizer, options.LearningRateSchedule, options.Augmentation, options.Initialization,
                options.TestTimeAugmentation);
        string? problem = OptionNames.TryParse(OptionNames.Architectures, Architecture, "--architecture", ref architecture)
            ?? OptionNames.TryParse(OptionNames.Optimizers, Optimizer, "--optimizer", ref optimizer)
            ?? OptionNames.TryParse(OptionNames.Schedules, Schedule, "--schedule", ref schedule)
            ?? OptionNames.TryParse(OptionNames.Augmentations, Augment, "--augment", ref augmentation)
            ?? OptionNames.TryParse(OptionNames.Initializations, Initialization, "--init", ref initialization)
            ?? OptionNames.TryParse(OptionNames.TestTimeAugmentations, Tta, "--tta", ref tta);
        if (problem is not null)
            return (options, problem);
        options.Architecture = architecture;
        options.Optimizer = optimizer;
        options.LearningRateSchedule = schedule;
        options.Augmentation = augmentation;
        options.Initialization = initialization;
        options.TestTimeAugmentation = tta;
        if (Epochs is { } epochs) options.Epochs = epochs;
        if (BatchSize is { } batchSize) options.BatchSize = batchSize;
        if (LearningRate is { } rate) options.LearningRate = rate;
        if (Momentum is { } momentum) options.Momentum = momentum;
        if (Nesterov) options.Nesterov = true;
        if (NoNesterov) options.Nesterov = false;
        if (WeightDecay is { } decay) options.WeightDecay = decay;
        if (Warmup is { } warmup) options.WarmupFraction = warmup;
        if (StepDecayEpochs is { } decayEpochs) options.StepDecayEpochs = decayEpochs;
        if (StepDecayFactor is { } decayFactor) options.StepDecayFactor = decayFactor;
        if (LabelSmoothing is { } smoothing) options.LabelSmoothing = smoothing;
        if (MaxTranslation is { } translation) options.MaxTranslation = translation;
        if (HorizontalFlip) options.HorizontalFlip = true;
        if (EarlyStopping is { } patience) options.EarlyStoppingPatience = patience;
        if (ClipGradNorm is { } clip) options.GradientClipNorm = clip;
        if (WidthDivisor is { } divisor) options.WidthDivisor = divisor;
        if (Resume is { IsSet: true } && string.IsNullOrWhiteSpace(Resume.Value) && CheckpointDir is null)
            return (options, "--resume without a path needs --checkpoint-dir to find the latest checkpoint in");
        options.CheckpointDirectory = CheckpointDir;
        if (CheckpointEvery is { } every) options.CheckpointEveryBatches = every;
        if (KeepCheckpoints is { } keep) options.KeepCheckpoints = keep;
        if (Resume is { IsSet: true }) options.ResumeFrom = string.IsNullOrWhiteSpace(Resume.Value) ? CheckpointDir : Resume.Value;
        options.FineTuneFrom = From;
        if (FreezeEpochs is { } freeze) options.FreezeEpochs = freeze;
        if (BackboneLearningRateFactor is { } factor) options.BackboneLearningRateFactor = factor;
        if (FreezeBackbone)
        {
            options.FreezeBackbone = true;
            // Features computed once from each image cannot be augmented: the preset's augmentation is dropped without
            // a word, and only one asked for by --augment (or --hflip) gets the trainer's warning that it is not applied.
            if (Augment is null)
                options.Augmentation = AugmentationKind.None;
        }
        if (AuxiliaryClassifiers) options.TrainAuxiliaryClassifiers = true;
        if (ShufflePool is { } pool) options.ShufflePoolSize = pool;
        if (Prefetch is { } prefetch) options.PrefetchBatches = prefetch;
        if (ScoringBatchSize is { } scoringBatch) options.ScoringBatchSize = scoringBatch;
        options.NumberOfThreads = Threads;
        options.CacheFeatures = Cache ? true : NoCache ? false : null;
        ApplyTo(options);
        if (EarlyStopping is not null && NoValidation)
            return (options, "--early-stopping needs the test images scored after every epoch: leave out --no-validation");
        return (options, FindProblem(options) is { } found ? OptionNames.Describe(found) : null);
    }

    /// <summary>
    /// The first problem of <paramref name="options"/>, judged as the job will run them: the job attaches the test
    /// images as the validation set (unless --no-validation), so an empty stand-in takes their place here.
    /// </summary>
    private OptionProblem? FindProblem(GoogLeNetTrainerOptions options)
    {
        var saved = options.ValidationSet;
        if (!NoValidation)
            options.ValidationSet = new Microsoft.ML.MLContext().Data.LoadFromEnumerable(Array.Empty<StandIn>());
        try
        {
            return options.FindProblem();
        }
        finally
        {
            options.ValidationSet = saved;
        }
    }

    public TrainingJobSettings ToJob()
    {
        var (options, problem) = BuildOptions();
        if (problem is not null)
            throw new InvalidOperationException(problem);  // Validate has reported it already
        var policy = BadImagePolicy.Skip;
        OptionNames.TryParse(OptionNames.BadImagePolicies, BadImages, "--bad-images", ref policy);
        return new TrainingJobSettings
        {
            DataFolder = DataFolder,
            ModelPath = ModelPath,
            ReportFolder = ReportFolder ?? Path.GetDirectoryName(Path.GetFullPath(ModelPath))!,
            PresetName = Preset.Trim().ToLowerInvariant(),
            Options = options,
            ImageSize = EffectiveImageSize,
            Channels = EffectiveChannels,
            NetworkFromNote = FromNetworkNote,
            TrainLimit = TrainLimit,
            TestLimit = TestLimit,
            TestFraction = TestFraction,
            Grouping = GroupingOptions.Create(GroupBy, GroupByFolder, DataFolder),
            GpuDeviceId = GpuDeviceId,
            FallbackToCpu = FallbackToCpu,
            Seed = Seed,
            BadImages = policy,
            MaximumPixels = MaxPixels,
            ValidateEachEpoch = !NoValidation,
        };
    }

    private sealed class StandIn
    {
        public float Value { get; set; }
    }
}
