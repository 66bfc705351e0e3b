using System.ComponentModel;
using MLNet.GoogLeNet.Cli.Jobs;
using MLNet.GoogLeNet.Data;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.GoogLeNet.Cli.Commands;

/// <summary>Options of <c>googlenet train</c>; defaults are the recipe's.</summary>
internal class TrainSettings : DeviceSettings
{
    [CommandOption("--data <DIR>")]
    [Description("Fashion-MNIST IDX folder, or an image folder with one sub-folder per class. Default: " + FashionMnist.DefaultFolder)]
    public string DataFolder { get; init; } = FashionMnist.DefaultFolder;

    [CommandOption("--epochs <N>")]
    [Description("Passes over the training data. Default 5.")]
    public int Epochs { get; init; } = 5;

    [CommandOption("--batch-size <N>")]
    [Description("Images per SGD step. Default 128.")]
    public int BatchSize { get; init; } = 128;

    [CommandOption("--optimizer <NAME>")]
    [Description("sgd (recipe) or adam. Default sgd.")]
    public string Optimizer { get; init; } = "sgd";

    [CommandOption("--learning-rate <RATE>")]
    [Description("Learning rate. Default 0.1 (the recipe's SGD rate; use about 0.001 with adam).")]
    public double LearningRate { get; init; } = 0.1;

    [CommandOption("--momentum <M>")]
    [Description("SGD momentum. Default 0.")]
    public double Momentum { get; init; }

    [CommandOption("--image-size <PIXELS>")]
    [Description("Height and width the images are resized to. Default 96.")]
    public int ImageSize { get; init; } = 96;

    [CommandOption("--channels <N>")]
    [Description("1 (grayscale) or 3 (RGB). Default 1.")]
    public int Channels { get; init; } = 1;

    [CommandOption("--width-divisor <N>")]
    [Description("Divide every channel count of the network by N (1 = the recipe's network). Default 1.")]
    public int WidthDivisor { get; init; } = 1;

    [CommandOption("--init <KIND>")]
    [Description("Weight initialisation: xavier (recipe) or kaiming. Default xavier.")]
    public string Initialization { get; init; } = "xavier";

    [CommandOption("--limit <N>")]
    [Description("Use only the first N training images (a subset). Default: all.")]
    public int? TrainLimit { get; init; }

    [CommandOption("--test-limit <N>")]
    [Description("Use only the first N test images. Default: all.")]
    public int? TestLimit { get; init; }

    [CommandOption("--test-fraction <F>")]
    [Description("Image folders: fraction of each class held out for testing. Default 0.2.")]
    public double TestFraction { get; init; } = 0.2;

    [CommandOption("--fallback-to-cpu")]
    [Description("Train on the CPU when the GPU asked for is not available.")]
    public bool FallbackToCpu { get; init; }

    [CommandOption("--threads <N>")]
    [Description("TorchSharp threads. Default: one per core.")]
    public int? Threads { get; init; }

    [CommandOption("--cache")]
    [Description("Keep the preprocessed images in memory after the first epoch, whatever their size. Default: when they take at most a quarter of the memory.")]
    public bool Cache { get; init; }

    [CommandOption("--no-cache")]
    [Description("Never keep the preprocessed images: every epoch decodes and resizes them again.")]
    public bool NoCache { get; init; }

    [CommandOption("--bad-images <POLICY>")]
    [Description("Image folders: skip (report and leave out) or fail on files that cannot be decoded. Default skip.")]
    public string BadImages { get; init; } = "skip";

    [CommandOption("--no-validation")]
    [Description("Do not score the test images after every epoch (faster; no 'test acc' per epoch).")]
    public bool NoValidation { get; init; }

    [CommandOption("--model <PATH>")]
    [Description("Where to save the model zip. Default googlenet.zip.")]
    public string ModelPath { get; init; } = "googlenet.zip";

    [CommandOption("--report-dir <DIR>")]
    [Description("Where to write training-metrics.json and training-curves.png. Default: the model's folder.")]
    public string? ReportFolder { get; init; }

    public override ValidationResult Validate()
    {
        if (Epochs < 1) return ValidationResult.Error("--epochs must be at least 1");
        if (BatchSize < 1) return ValidationResult.Error("--batch-size must be at least 1");
        if (!(LearningRate > 0)) return ValidationResult.Error("--learning-rate must be positive");
        if (Momentum is < 0 or >= 1) return ValidationResult.Error("--momentum must be in [0, 1)");
        if (ImageSize < GoogLeNetConfiguration.MinimumImageSize)
            return ValidationResult.Error($"--image-size must be at least {GoogLeNetConfiguration.MinimumImageSize}");
        if (Channels is not (1 or 3)) return ValidationResult.Error("--channels must be 1 or 3");
        if (WidthDivisor < 1) return ValidationResult.Error("--width-divisor must be at least 1");
        if (TrainLimit is < 1 || TestLimit is < 1) return ValidationResult.Error("--limit and --test-limit must be at least 1");
        if (TestFraction is <= 0 or >= 1) return ValidationResult.Error("--test-fraction must be between 0 and 1");
        if (Cache && NoCache) return ValidationResult.Error("--cache and --no-cache cannot both be given");
        if (base.Validate() is { Successful: false } device) return device;
        if (!Enum.TryParse<OptimizerKind>(Optimizer, ignoreCase: true, out _))
            return ValidationResult.Error($"--optimizer '{Optimizer}' is not sgd or adam");
        if (!Enum.TryParse<WeightInitialization>(Initialization, ignoreCase: true, out _))
            return ValidationResult.Error($"--init '{Initialization}' is not xavier or kaiming");
        if (!Enum.TryParse<BadImagePolicy>(BadImages, ignoreCase: true, out _))
            return ValidationResult.Error($"--bad-images '{BadImages}' is not skip or fail");
        if (string.IsNullOrWhiteSpace(ModelPath)) return ValidationResult.Error("--model must name a file");
        return ValidationResult.Success();
    }

    public TrainingJobSettings ToJob()
    {
        return ApplyTo(new TrainingJobSettings
        {
            DataFolder = DataFolder,
            ModelPath = ModelPath,
            ReportFolder = ReportFolder ?? Path.GetDirectoryName(Path.GetFullPath(ModelPath))!,
            Epochs = Epochs,
            BatchSize = BatchSize,
            Optimizer = Enum.Parse<OptimizerKind>(Optimizer, ignoreCase: true),
            LearningRate = LearningRate,
            Momentum = Momentum,
            ImageSize = ImageSize,
            Channels = Channels,
            WidthDivisor = WidthDivisor,
            Initialization = Enum.Parse<WeightInitialization>(Initialization, ignoreCase: true),
            TrainLimit = TrainLimit,
            TestLimit = TestLimit,
            TestFraction = TestFraction,
            FallbackToCpu = FallbackToCpu,
            Threads = Threads,
            CacheFeatures = Cache ? true : NoCache ? false : null,
            BadImages = Enum.Parse<BadImagePolicy>(BadImages, ignoreCase: true),
            ValidateEachEpoch = !NoValidation,
        });
    }
}
