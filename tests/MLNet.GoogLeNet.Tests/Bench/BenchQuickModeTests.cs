using System.Globalization;
using System.Text.Json;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Bench;

/// <summary>
/// The benchmark (bench/MLNet.GoogLeNet.Bench) in its quick mode, run as a user runs it: every phase in a process of
/// its own at tiny sizes, then the table. Nothing else runs the bench, and its serve phase once broke without a sound
/// when the zips began to take image paths; here a change that breaks a phase, or a row of the table that loses its
/// figure, fails the suite. Only that the figures are there and positive is checked, never how fast anything ran.
/// </summary>
public sealed class BenchQuickModeTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("googlenet-bench-quick-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private static string Bench => RepositoryPaths.BuiltAssembly(Path.Combine("bench", "MLNet.GoogLeNet.Bench"), "MLNet.GoogLeNet.Bench");

    /// <summary>
    /// About a minute on 2 idle cores; the limit only stops a run that hangs, with room for a machine busy with the
    /// rest of the suite.
    /// </summary>
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(10);

    /// <summary>The figures each phase owes, by the names the bench writes to its JSON (quick mode: batch 8, bf16 included).</summary>
    private static readonly Dictionary<string, string[]> Figures = new()
    {
        ["compute"] = ["compute_train_fp32", "compute_train_fp32_channels_last", "compute_train_main_32_fp32", "compute_main_optimizer_one_pass", "compute_main_optimizer_torchsharp", "compute_train_fp32_kept_memory",
            "compute_train_fp32_channels_last_kept_memory", "compute_train_bf16_autocast", "compute_threads"],
        ["fit"] = ["fit_compute_reference", "fit_epoch1", "fit_steady", "fit_rss_after_epoch1", "fit_rss_after_epoch2", "fit_peak_rss"],
        ["fit-nocache"] = ["fit_nocache_epoch1", "fit_nocache_steady", "fit_nocache_rss_after_epoch1", "fit_nocache_rss_after_epoch2", "fit_nocache_peak_rss"],
        ["fit-tuned"] = ["fit_tuned_compute_reference", "fit_tuned_epoch1", "fit_tuned_steady", "fit_tuned_rss_after_epoch1",
            "fit_tuned_rss_after_epoch2", "fit_tuned_peak_rss"],
        ["inference"] = ["transform_fitted", "engine_fitted", "inference_fitted_peak_rss"],
        ["serve"] = ["transform_loaded", "engine_loaded", "engine_loaded_files", "inference_loaded_peak_rss",
            "transform_loaded_one_thread_per_row", "onnx_network_batch1", "onnx_network_batch8"],
    };

    private static readonly string[] PyTorchFigures =
        ["pytorch_train", "pytorch_train_channels_last", "pytorch_inference", "pytorch_inference_channels_last", "pytorch_train_main_32",
            "pytorch_train_main_32_channels_last", "pytorch_peak_rss"];

    /// <summary>
    /// Runs the bench with <paramref name="arguments"/> on its own tiny Fashion-MNIST (so that the run is the same whether
    /// or not Debian's dataset-fashion-mnist is installed), requires it to succeed, and gives what it printed and the
    /// path of its JSON.
    /// </summary>
    private (ProcessRunner.Result Run, string Printed, string Results) RunBench(string resultsName, params string[] arguments)
    {
        Assert.True(File.Exists(Bench), $"{Bench} was not built");
        string data = Path.Combine(_work, "fashion-mnist");
        IdxFiles.WriteFashionMnist(data, trainCount: 16, testCount: 16);
        string results = Path.Combine(_work, "results", resultsName);
        var run = ProcessRunner.RunDotnet(Bench, [.. arguments, "--data", data, "--output", results], Patience);
        string printed = $"exit code {run.ExitCode}\n{run.Output}\n{run.Error}";
        Assert.True(run.ExitCode == 0, printed);
        return (run, printed, results);
    }

    [LinuxFact]
    public void Quick_mode_runs_every_phase_and_gives_every_row_of_the_table_a_figure()
    {
        var (run, printed, results) = RunBench("bench-results.json", "--quick");
        Assert.Contains("| measurement | images/s | ratio | target | |", run.Output);
        Assert.Contains($"written {results}", run.Output);
        using var json = JsonDocument.Parse(File.ReadAllText(results));
        var root = json.RootElement;
        Assert.True(root.GetProperty("options").GetProperty("IsQuick").GetBoolean());
        Assert.StartsWith("Fashion-MNIST", root.GetProperty("data").GetString());
        Assert.Empty(root.GetProperty("failedPhases").EnumerateArray());
        var measured = root.GetProperty("measurements").EnumerateArray()
            .ToDictionary(m => m.GetProperty("Name").GetString()!, m => m.GetProperty("Value").GetDouble());

        foreach (var (phase, names) in Figures)
        foreach (var name in names)
        {
            Assert.True(measured.TryGetValue(name, out double value), $"phase {phase} gave no figure '{name}':\n{printed}");
            Assert.True(double.IsFinite(value) && value > 0, $"phase {phase}: {name} = {value}:\n{printed}");
        }

        // The PyTorch peer needs Debian's python3-torch, which the suite does not: without it the (d) rows read "—",
        // and the run says why. Where the bench's interpreter can import torch, the peer must give its figures.
        string peer = root.GetProperty("pytorch").GetString()!;
        bool torch = PythonInterpreter.Run(File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3", ["-c", "import torch"]).ExitCode == 0;
        if (torch)
        {
            Assert.StartsWith("PyTorch ", peer);
            foreach (var name in PyTorchFigures)
                Assert.True(measured.TryGetValue(name, out double value) && value > 0, $"the PyTorch peer gave no figure '{name}' ({peer})");
        }
        else
        {
            Assert.StartsWith("not measured", peer);
            Assert.DoesNotContain(measured.Keys, name => name.StartsWith("pytorch_", StringComparison.Ordinal));
        }

        // Every row of both tables has a figure, the (d) rows only where the peer ran: a row that reads a name no phase
        // writes any more shows here.
        string table = root.GetProperty("table").GetString()!;
        Assert.Contains(table.Trim(), run.Output);
        var rows = table.Split('\n').Where(line => line.StartsWith("| (", StringComparison.Ordinal)).ToList();
        Assert.True(rows.Count >= 41, $"only {rows.Count} rows:\n{table}");
        Assert.Contains(rows, row => row.StartsWith("| (a') compute-only training step, bf16 autocast", StringComparison.Ordinal));
        foreach (var row in rows)
        {
            string[] cells = row.Split('|');
            string label = cells[1].Trim(), figure = cells[2].Trim();
            if (!torch && label.StartsWith("(d)", StringComparison.Ordinal))
            {
                Assert.Equal("—", figure);
                continue;
            }
            Assert.True(double.TryParse(figure, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value > 0,
                $"row '{label}' reads '{figure}':\n{table}");
        }
    }

    [LinuxFact]
    public void Quick_time_to_accuracy_scores_both_sides_and_trains_the_peer_in_the_trainers_precision()
    {
        var (run, printed, results) = RunBench("time-to-accuracy.json", "--time-to-accuracy", "--quick");
        using var json = JsonDocument.Parse(File.ReadAllText(results));
        var root = json.RootElement;
        var measured = root.GetProperty("measurements").EnumerateArray()
            .ToDictionary(m => m.GetProperty("Name").GetString()!, m => m.GetProperty("Value").GetDouble());
        // The main command's epochs of 16 images in batches of 8, scored after each batch (the second is the epoch's end).
        int points = 2 * QuickRun.FashionMnist.Epochs;
        Assert.True(measured.ContainsKey($"ours_point{points}_accuracy") && !measured.ContainsKey($"ours_point{points + 1}_accuracy"), printed);
        // The precision the run took, as its checkpoints record it: fp32 here, a batch being far under the probe's bound.
        Assert.True(measured.TryGetValue("ours_bf16_autocast", out double bf16) && bf16 == 0, printed);
        Assert.Contains("this trainer in fp32 (MixedPrecision.Auto)", run.Output);

        string peer = root.GetProperty("pytorch").GetString()!;
        if (peer.StartsWith("PyTorch ", StringComparison.Ordinal))
        {
            Assert.EndsWith(", fp32", peer);
            Assert.True(measured.ContainsKey($"pytorch_point{points}_accuracy"), printed);
        }
        else
        {
            Assert.StartsWith("not measured", peer);
        }
    }
}
