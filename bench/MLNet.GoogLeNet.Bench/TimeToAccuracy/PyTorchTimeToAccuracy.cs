using System.Diagnostics;
using System.Text.Json;

namespace MLNet.GoogLeNet.Bench.TimeToAccuracy;

/// <summary>
/// The PyTorch side of the time-to-accuracy rows: pytorch_time_to_accuracy.py (Debian's python3-torch) given the same
/// run, every setting read from <see cref="TimeToAccuracyRun.Options"/> and the precision this trainer's run took
/// (<paramref name="bf16"/>: bf16 autocast); what it cannot match is written at its top.
/// </summary>
internal static class PyTorchTimeToAccuracy
{
    public static PyTorchPeer.Result Run(TimeToAccuracyRun run, BenchOptions bench, bool bf16)
    {
        var o = run.Options;
        string script = Path.Combine(AppContext.BaseDirectory, "pytorch_time_to_accuracy.py");
        var start = new ProcessStartInfo(PyTorchPeer.Python) { RedirectStandardOutput = true };
        int trainImages = run.TrainImages ?? FashionMnist.Load(bench.Data, FashionMnistSplit.Train).Count;
        static string S(double value) => PyTorchArguments.Number(value);
        var arguments = new List<string>
        {
            script, "--data", bench.Data, "--train-images", S(run.TrainImages ?? 0), "--test-images", S(run.TestImages ?? 0),
            "--image-size", S(run.ImageSize),
            "--initialization", o.Initialization switch
            {
                WeightInitialization.Kaiming => "kaiming",
                WeightInitialization.Xavier => "xavier",
                _ => throw new NotSupportedException($"The PyTorch peer does not reproduce the {o.Initialization} initialisation."),
            },
            "--schedule", o.LearningRateSchedule switch
            {
                LearningRateSchedule.OneCycle => "one-cycle",
                LearningRateSchedule.Constant => "constant",
                _ => throw new NotSupportedException($"The PyTorch peer does not reproduce the {o.LearningRateSchedule} schedule."),
            },
            "--warmup-fraction", S(o.WarmupFraction),
            "--max-translation", S(o.Augmentation switch
            {
                AugmentationKind.Translate => o.MaxTranslation,
                AugmentationKind.None => 0,
                _ => throw new NotSupportedException($"The PyTorch peer does not reproduce the {o.Augmentation} augmentation."),
            }),
            "--batch", S(o.BatchSize), "--epochs", S(o.Epochs), "--evaluate-every", S(run.EvaluateEveryBatches(trainImages)),
            "--budget-seconds", S(run.BudgetSeconds ?? 0), "--precision", bf16 ? "bf16" : "fp32",
        };
        arguments.AddRange(PyTorchArguments.TrainingStep(o, "--"));
        if (o.Architecture == NetworkArchitecture.GoogLeNetBatchNorm)
            arguments.Add("--batch-norm");
        else if (o.Architecture != NetworkArchitecture.GoogLeNet)
            throw new NotSupportedException($"googlenet_torch.py has no {o.Architecture} network.");
        if (o.HorizontalFlip || o.GradientClipNorm is not null)
            throw new NotSupportedException("The PyTorch peer does not reproduce horizontal flips or gradient clipping.");
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        try
        {
            // Its progress goes to this process's standard error as it trains.
            using var process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            var line = output.Split('\n').LastOrDefault(l => l.StartsWith('{'));
            if (process.ExitCode != 0 || line is null)
                return new PyTorchPeer.Result($"not measured: pytorch_time_to_accuracy.py exited with code {process.ExitCode} (its error is printed above; install Debian's python3-torch)", []);
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            var points = root.GetProperty("points").EnumerateArray()
                .Select(p => new AccuracyPoint(p[0].GetDouble(), p[1].GetDouble())).ToList();
            return new PyTorchPeer.Result($"PyTorch {root.GetProperty("torch").GetString()}, {root.GetProperty("threads").GetInt32()} threads, {root.GetProperty("precision").GetString()}",
                [.. TimeToAccuracyPhase.Figures("pytorch", points, root.GetProperty("stopped_by_budget").GetBoolean())]);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new PyTorchPeer.Result($"not measured: {e.Message}", []);
        }
    }
}
