using System.Diagnostics;
using System.Text.Json;

namespace MLNet.GoogLeNet.Bench;

/// <summary>(d) The PyTorch peer (Debian's python3-torch): the same network and batch, trained and run on tensors in memory.</summary>
internal static class PyTorchPeer
{
    public sealed record Result(string Description, IReadOnlyList<Measurement> Measurements);

    /// <summary>Debian's interpreter, which has its python3-torch, ahead of any other python3 on the PATH.</summary>
    public static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    public static Result Run(BenchOptions options)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "pytorch_peer.py");
        static string S(double value) => PyTorchArguments.Number(value);
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { script, "--batch", S(options.BatchSize), "--train-steps", S(options.ComputeSteps), "--inference-batches", "5",
                     "--main-batch", S(options.MainCommandBatch) }.Concat(PyTorchArguments.TrainingStep(QuickRun.FashionMnist.TrainerOptions(), "--main-")))
            start.ArgumentList.Add(argument);
        try
        {
            using var process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd();
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            var line = output.Split('\n').LastOrDefault(l => l.StartsWith('{'));
            if (process.ExitCode != 0 || line is null)
                return new Result($"not measured: {Last(error)} (install Debian's python3-torch)", []);
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            return new Result($"PyTorch {root.GetProperty("torch").GetString()}, {root.GetProperty("threads").GetInt32()} threads",
            [
                new Measurement("pytorch_train", root.GetProperty("train_images_per_second").GetDouble(), "img/s"),
                new Measurement("pytorch_train_channels_last", root.GetProperty("train_channels_last_images_per_second").GetDouble(), "img/s"),
                new Measurement("pytorch_inference", root.GetProperty("inference_images_per_second").GetDouble(), "img/s"),
                new Measurement("pytorch_inference_channels_last", root.GetProperty("inference_channels_last_images_per_second").GetDouble(), "img/s"),
                new Measurement("pytorch_train_main_32", root.GetProperty("train_main_32_images_per_second").GetDouble(), "img/s"),
                new Measurement("pytorch_train_main_32_channels_last", root.GetProperty("train_main_32_channels_last_images_per_second").GetDouble(), "img/s"),
                new Measurement("pytorch_peak_rss", root.GetProperty("peak_rss_mb").GetDouble(), "MiB"),
            ]);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new Result($"not measured: {e.Message}", []);
        }
    }

    private static string Last(string text) => text.Trim().Split('\n').LastOrDefault() ?? "";
}
