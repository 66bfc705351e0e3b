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
    public string Output { get; init; } = Path.Combine("bench", "results", "bench-results.json");
    public string Data { get; init; } = "/usr/share/datasets/fashion-mnist"; // Debian's dataset-fashion-mnist package

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            options = args[i] switch
            {
                "--phase" => options with { Phase = Next() },
                "--batch-size" => options with { BatchSize = Int() },
                "--compute-steps" => options with { ComputeSteps = Int() },
                "--fit-images" => options with { FitImages = Int() },
                "--fit-epochs" => options with { FitEpochs = Int() },
                "--inference-images" => options with { InferenceImages = Int() },
                "--engine-images" => options with { EngineImages = Int() },
                "--bf16" => options with { IncludeBFloat16 = true },
                "--output" => options with { Output = Next() },
                "--data" => options with { Data = Next() },
                "--help" or "-h" => throw new ArgumentException(Usage),
                _ => throw new ArgumentException($"Unknown option '{args[i]}'.\n{Usage}"),
            };
        }
        if (options.FitEpochs < 2)
            throw new ArgumentException("--fit-epochs must be at least 2: the first epoch is reported apart from the rest.");
        return options;
    }

    /// <summary>The options as arguments for a child process running one phase.</summary>
    public IEnumerable<string> ForPhase(string phase) =>
    [
        "--phase", phase, "--batch-size", S(BatchSize), "--compute-steps", S(ComputeSteps), "--fit-images", S(FitImages),
        "--fit-epochs", S(FitEpochs), "--inference-images", S(InferenceImages), "--engine-images", S(EngineImages), "--data", Data,
        .. (IncludeBFloat16 ? new[] { "--bf16" } : []),
    ];

    private static string S(int value) => value.ToString(CultureInfo.InvariantCulture);

    public const string Usage =
        "usage: dotnet run -c Release --project bench/MLNet.GoogLeNet.Bench -- [--batch-size 128] [--compute-steps 8] " +
        "[--fit-images 1280] [--fit-epochs 3] [--inference-images 512] [--engine-images 128] [--bf16] [--data DIR] " +
        "[--output bench/results/bench-results.json]";
}
