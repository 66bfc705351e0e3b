using System.Text.Json;
using MLNet.GoogLeNet.IO;

namespace MLNet.GoogLeNet.Bench.TimeToAccuracy;

/// <summary>
/// <c>--time-to-accuracy</c>: this trainer in its own process (phase "time-to-accuracy"), then the PyTorch peer in the
/// precision this trainer's run took, then the table, and the figures as JSON.
/// </summary>
internal static class TimeToAccuracyBench
{
    public static int Run(BenchOptions options)
    {
        if (!FashionMnist.IsPresent(options.Data))
        {
            Console.Error.WriteLine($"--time-to-accuracy needs Fashion-MNIST's IDX files in {options.Data}: install Debian's dataset-fashion-mnist or pass --data DIR.");
            return 2;
        }
        var run = TimeToAccuracyRun.For(options);
        string output = options.IsOutputGiven ? options.Output
            : options.IsQuick ? Path.Combine(Path.GetTempPath(), $"googlenet-time-to-accuracy-{run.Preset}-quick.json")
            : Path.Combine("bench", "results", $"time-to-accuracy-{run.Preset}.json");

        string work = options.WorkFolder ?? Directory.CreateTempSubdirectory("googlenet-bench-").FullName;
        PhaseProcess.Outcome ours;
        try
        {
            Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] time to accuracy, preset {run.Preset}: this trainer…");
            ours = PhaseProcess.Run("time-to-accuracy", options with { WorkFolder = work });
        }
        finally
        {
            if (options.WorkFolder is null)
                Directory.Delete(work, recursive: true);
        }
        if (ours.Failure is not null)
            Console.Error.WriteLine($"phase time-to-accuracy failed: {ours.Failure}");
        Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] time to accuracy, preset {run.Preset}: PyTorch…");
        // The peer trains in the precision this trainer's run took (Auto's choice); fp32 when that run recorded none.
        bool bf16 = ours.Measurements.Any(m => m.Name == TimeToAccuracyPhase.BFloat16Figure && m.Value == 1);
        var peer = PyTorchTimeToAccuracy.Run(run, options, bf16);

        var all = ours.Measurements.Concat(peer.Measurements).ToDictionary(m => m.Name);
        string table = TimeToAccuracyReport.Table(all, peer, run);
        Console.WriteLine(table);
        string json = JsonSerializer.Serialize(new
        {
            machine = new { Environment.ProcessorCount, os = Environment.OSVersion.ToString(), dotnet = Environment.Version.ToString() },
            options = new { run.Preset, run.ImageSize, run.Options.BatchSize, run.Options.Epochs, run.TrainImages, run.TestImages, run.BudgetSeconds, options.IsQuick },
            pytorch = peer.Description,
            failedPhases = ours.Failure is null ? [] : new[] { new { phase = ours.Phase, reason = ours.Failure } },
            measurements = all.Values,
            table,
        }, new JsonSerializerOptions { WriteIndented = true });
        AtomicFile.Write(output, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(json)));
        Console.WriteLine($"written {output}");
        return ours.Failure is null ? 0 : 1;
    }
}
