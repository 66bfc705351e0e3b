using System.Globalization;

namespace MLNet.GoogLeNet.Bench;

/// <summary>Command-line options of the benchmark (every one has a default sized for a 2-core CPU).</summary>
internal sealed record BenchOptions
{
    public string? Phase { get; init; }
    public int BatchSize { get; init; } = 128;
    public int ComputeSteps { get; init; } = 8;
    public int FitImages { get; init; } = 1280;
    public int FitEpochs { get; init; } = 3;
    public int InferenceImages { get; init; } = 512;
    public int EngineImages { get; init; } = 128;
    public bool IncludeBFloat16 { get; init; }

    /// <summary>The batch of the main command's step (row (m)): its own (<see cref="QuickRun.FashionMnist"/>), or the quick mode's.</summary>
    public int MainCommandBatch => IsQuick ? BatchSize : QuickRun.FashionMnist.BatchSize;

    /// <summary>
    /// <c>--time-to-accuracy</c>: instead of the throughput phases, the time-to-accuracy rows (seconds of training until
    /// the Fashion-MNIST test accuracy reaches each target) of <see cref="Preset"/>, this trainer beside PyTorch.
    /// </summary>
    public bool IsTimeToAccuracy { get; init; }

    /// <summary><c>--preset</c>: the training run the time-to-accuracy rows time, "default" (the main command's) or "recipe".</summary>
    public string Preset { get; init; } = "default";

    /// <summary><c>--budget-minutes</c>: the most training time each side of the time-to-accuracy rows spends; null: the preset's epochs.</summary>
    public double? BudgetMinutes { get; init; }

    /// <summary>Whether <c>--output</c> was given (the time-to-accuracy rows otherwise write a file of their own).</summary>
    public bool IsOutputGiven { get; init; }

    /// <summary>Tiny sizes (<see cref="Quick"/>): every phase runs and gives its figures, which measure nothing worth keeping.</summary>
    public bool IsQuick { get; init; }

    public string Output { get; init; } = Path.Combine("bench", "results", "bench-results.json");
    public string Data { get; init; } = "/usr/share/datasets/fashion-mnist"; // Debian's dataset-fashion-mnist package

    /// <summary>
    /// The folder where phase "inference" leaves the model zip and the network's ONNX file for phase "serve". Unless
    /// <c>--work</c> names one, a run makes a fresh temporary folder for its phases and deletes it at the end, so that
    /// two runs at once (two clones, a test) never share files; a phase run by hand (<c>--phase</c>) without it uses
    /// <see cref="DefaultWorkFolder"/>.
    /// </summary>
    public string? WorkFolder { get; init; }

    public static string DefaultWorkFolder => Path.Combine(Path.GetTempPath(), "googlenet-bench");

    /// <summary>
    /// <c>--quick</c>: every phase, the bf16 row and the PyTorch peer at sizes that take well under two minutes on
    /// 2 cores, so that the test suite can run the whole benchmark (BenchQuickModeTests) and a change that breaks a
    /// phase fails there. Two epochs, because Fit's first epoch is reported apart. The figures are written to the
    /// temporary folder, never over the committed results.
    /// </summary>
    public static BenchOptions Quick { get; } = new()
    {
        IsQuick = true,
        BatchSize = 8,
        ComputeSteps = 2,
        FitImages = 16,
        FitEpochs = 2,
        InferenceImages = 16,
        EngineImages = 8,
        IncludeBFloat16 = true,
        Output = Path.Combine(Path.GetTempPath(), "googlenet-bench-quick-results.json"),
    };

    /// <exception cref="ArgumentException">An option is unknown, lacks its value or has a value out of range; the message says which.</exception>
    public static BenchOptions Parse(string[] args)
    {
        // --quick sets the defaults wherever it stands; the sizes given beside it override them.
        var options = args.Contains("--quick") ? Quick : new BenchOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string option = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{option} needs a value.\n{Usage}");
            int Int()
            {
                string value = Next();
                return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int number) && number > 0
                    ? number
                    : throw new ArgumentException($"{option} takes a whole number above 0, not '{value}'.");
            }
            double Minutes()
            {
                string value = Next();
                return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) && number > 0 && double.IsFinite(number)
                    ? number
                    : throw new ArgumentException($"{option} takes a number of minutes above 0, not '{value}'.");
            }
            options = option switch
            {
                "--phase" => options with { Phase = Next() },
                "--quick" => options,
                "--batch-size" => options with { BatchSize = Int() },
                "--compute-steps" => options with { ComputeSteps = Int() },
                "--fit-images" => options with { FitImages = Int() },
                "--fit-epochs" => options with { FitEpochs = Int() },
                "--inference-images" => options with { InferenceImages = Int() },
                "--engine-images" => options with { EngineImages = Int() },
                "--bf16" => options with { IncludeBFloat16 = true },
                "--output" => options with { Output = Next(), IsOutputGiven = true },
                "--time-to-accuracy" => options with { IsTimeToAccuracy = true },
                "--preset" => options with { Preset = Next() },
                "--budget-minutes" => options with { BudgetMinutes = Minutes() },
                "--data" => options with { Data = Next() },
                "--work" => options with { WorkFolder = Next() },
                "--help" or "-h" => throw new ArgumentException(Usage),
                _ => throw new ArgumentException($"Unknown option '{option}'.\n{Usage}"),
            };
        }
        if (options.FitEpochs < 2)
            throw new ArgumentException("--fit-epochs must be at least 2: the first epoch is reported apart from the rest.");
        if (!TimeToAccuracy.TimeToAccuracyRun.Presets.Contains(options.Preset))
            throw new ArgumentException($"--preset takes {string.Join(" or ", TimeToAccuracy.TimeToAccuracyRun.Presets)}, not '{options.Preset}'.");
        return options;
    }

    /// <summary>The options as arguments for a child process running one phase.</summary>
    public IEnumerable<string> ForPhase(string phase) =>
    [
        "--phase", phase, "--batch-size", S(BatchSize), "--compute-steps", S(ComputeSteps), "--fit-images", S(FitImages),
        "--fit-epochs", S(FitEpochs), "--inference-images", S(InferenceImages), "--engine-images", S(EngineImages), "--data", Data,
        .. (WorkFolder is { } work ? new[] { "--work", work } : []),
        .. (IncludeBFloat16 ? new[] { "--bf16" } : []),
        .. (IsQuick ? new[] { "--quick" } : []),
        "--preset", Preset,
        .. (BudgetMinutes is { } minutes ? new[] { "--budget-minutes", minutes.ToString("R", CultureInfo.InvariantCulture) } : []),
    ];

    private static string S(int value) => value.ToString(CultureInfo.InvariantCulture);

    public const string Usage =
        "usage: dotnet run -c Release --project bench/MLNet.GoogLeNet.Bench -- [--quick] [--batch-size 128] [--compute-steps 8] " +
        "[--fit-images 1280] [--fit-epochs 3] [--inference-images 512] [--engine-images 128] [--bf16] [--data DIR] " +
        "[--output bench/results/bench-results.json]\n" +
        "       dotnet run -c Release --project bench/MLNet.GoogLeNet.Bench -- --time-to-accuracy [--preset default|recipe] " +
        "[--budget-minutes M] [--quick] [--data DIR] [--output bench/results/time-to-accuracy-PRESET.json]\n" +
        "  --quick  every phase at tiny sizes (batch 8, 2 compute steps, 16 images, 2 epochs; the bf16 row and the PyTorch peer " +
        "included) in about a minute on 2 cores: it checks that the benchmark runs and measures nothing worth keeping; its " +
        "figures go to the system's temporary folder unless --output is given.\n" +
        "  --time-to-accuracy  training seconds until the Fashion-MNIST test accuracy first reaches 0.85 and 0.88, this trainer " +
        "and PyTorch with the same run: --preset default (the main command's run: minutes a side on 2 idle cores) or recipe " +
        "(96×96, 5 epochs: hours on 2 cores; bound it with --budget-minutes); needs Fashion-MNIST in --data.\n" +
        "  --work DIR  where the inference phase leaves the model zip for the serve phase (default: a fresh temporary folder per run)";
}
