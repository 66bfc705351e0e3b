using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Training;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Bench.TimeToAccuracy;

/// <summary>
/// Phase "time-to-accuracy": trains once through the ML.NET pipeline with a checkpoint at every evaluation point
/// (<see cref="TimeToAccuracyRun.EvaluateEveryBatches"/> and every epoch's end), recording the training clock when each
/// is written; then, with the clock stopped, scores each checkpoint's weights on the test images (in fp32). The seconds a
/// point carries are training only: the time spent writing the checkpoints before it is taken off.
/// </summary>
internal static class TimeToAccuracyPhase
{
    public static IEnumerable<Measurement> Run(BenchOptions bench)
    {
        var run = TimeToAccuracyRun.For(bench);
        if (!FashionMnist.IsPresent(bench.Data))
            throw new InvalidOperationException(
                $"The time-to-accuracy phase needs Fashion-MNIST's IDX files in {bench.Data}: install Debian's dataset-fashion-mnist or pass --data DIR.");
        var train = FashionMnist.Load(bench.Data, FashionMnistSplit.Train, run.TrainImages);
        var test = FashionMnist.Load(bench.Data, FashionMnistSplit.Test, run.TestImages);
        string folder = Path.Combine(bench.WorkFolder ?? BenchOptions.DefaultWorkFolder, "time-to-accuracy-" + run.Preset);
        if (Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);

        var clock = new Stopwatch();
        var batchTimes = new Dictionary<(int Epoch, long Batch), (double Seconds, DateTime Wall)>();
        using var budget = new CancellationTokenSource();
        var options = run.Options;
        options.Seed = 1;
        options.KeepNativeMemory = true;  // as the CLI trains
        options.CheckpointDirectory = folder;
        options.CheckpointEveryBatches = run.EvaluateEveryBatches(train.Count);
        options.KeepCheckpoints = int.MaxValue;
        options.CancellationToken = budget.Token;
        long batchInEpoch = 0;
        int currentEpoch = 0;
        options.BatchProgress = new ProgressHandler<BatchProgress>(p =>
        {
            batchInEpoch = p.Epoch == currentEpoch ? batchInEpoch + 1 : 1;
            currentEpoch = p.Epoch;
            batchTimes[(p.Epoch, batchInEpoch)] = (clock.Elapsed.TotalSeconds, DateTime.UtcNow);
            if (run.BudgetSeconds is { } limit && clock.Elapsed.TotalSeconds >= limit)
                budget.Cancel();
        });

        var ml = new MLContext(seed: 1);
        var preprocessing = ImagePreprocessing.FromImages(ml, run.ImageSize, 1, FashionMnist.ClassNames);
        var pipeline = preprocessing.Append(ml.MulticlassClassification.Trainers.GoogLeNet(ml, options));
        bool stopped = false;
        clock.Start();
        try
        {
            var model = pipeline.Fit(train.ToDataView());
            (model as IDisposable)?.Dispose();
        }
        catch (OperationCanceledException) when (budget.IsCancellationRequested)
        {
            stopped = true;
        }
        clock.Stop();
        Console.Error.WriteLine($"time-to-accuracy: trained {clock.Elapsed.TotalSeconds:F0} s{(stopped ? " (stopped by --budget-minutes)" : "")}; scoring the checkpoints…");

        var testSet = TestSet(ml, preprocessing, test);
        using var features = testSet.Features;
        var labels = testSet.Labels;
        var configuration = new GoogLeNetConfiguration(1, FashionMnist.ClassNames.Count, run.ImageSize, run.ImageSize, Architecture: options.Architecture);
        using var network = new GoogLeNetNetwork(configuration, 0, options.Initialization);
        network.eval();
        var points = new List<AccuracyPoint>();
        MixedPrecision? trainedIn = null;
        double writing = 0;
        DateTime previousEnd = DateTime.MinValue;
        foreach (string file in CheckpointFolder.Checkpoints(folder))
        {
            using var checkpoint = Checkpoint.Read(file);
            var position = checkpoint.Manifest.Position;
            trainedIn ??= Enum.Parse<MixedPrecision>(checkpoint.Manifest.Options[nameof(GoogLeNetTrainerOptions.MixedPrecision)]);
            var (seconds, wall) = batchTimes[(position.Epoch, position.BatchesDone)];
            DateTime end = File.GetLastWriteTimeUtc(file);
            checkpoint.RestoreNetwork(network);
            double accuracy = Accuracy(network, features, labels, options.ScoringBatchSize);
            points.Add(new AccuracyPoint(seconds - writing, accuracy));
            Console.Error.WriteLine($"  epoch {position.Epoch} batch {position.BatchesDone}: {seconds - writing:F1} s, test accuracy {accuracy:F4}");
            // The checkpoint was written after the batch it holds was trained (and after the previous checkpoint).
            DateTime start = wall > previousEnd ? wall : previousEnd;
            writing += Math.Max(0, (end - start).TotalSeconds);
            previousEnd = end;
        }
        Directory.Delete(folder, recursive: true);
        var figures = Figures("ours", points, stopped);
        return trainedIn is { } mode ? figures.Append(new Measurement(BFloat16Figure, mode == MixedPrecision.BFloat16 ? 1 : 0, "yes/no")) : figures;
    }

    /// <summary>
    /// The figure that says whether this trainer's run trained in bf16 autocast (1) or fp32 (0), as its checkpoints
    /// record: <see cref="MixedPrecision.Auto"/>'s choice, which the PyTorch peer then trains in too.
    /// </summary>
    public const string BFloat16Figure = "ours_bf16_autocast";

    /// <summary>The figures of one side's points, named "{side}_…": the seconds to each target reached, the best point, every point.</summary>
    public static IEnumerable<Measurement> Figures(string side, IReadOnlyList<AccuracyPoint> points, bool stoppedByBudget)
    {
        foreach (double target in AccuracyTargets.Targets)
            if (AccuracyTargets.FirstReached(points, target) is { } seconds)
                yield return new Measurement($"{side}_{AccuracyTargets.FigureName(target)}", seconds, "s");
        if (AccuracyTargets.Best(points) is { } best)
        {
            yield return new Measurement($"{side}_best_accuracy", best.Accuracy, "accuracy");
            yield return new Measurement($"{side}_best_seconds", best.Seconds, "s");
        }
        yield return new Measurement($"{side}_stopped_by_budget", stoppedByBudget ? 1 : 0, "yes/no");
        for (int i = 0; i < points.Count; i++)
        {
            yield return new Measurement($"{side}_point{i + 1}_seconds", points[i].Seconds, "s");
            yield return new Measurement($"{side}_point{i + 1}_accuracy", points[i].Accuracy, "accuracy");
        }
    }

    private sealed class TestRow
    {
        public float[] Features { get; set; } = [];
        public uint Label { get; set; }
    }

    /// <summary>The test images through the same ML.NET image steps as training, as one (N, 1, H, W) tensor, and their class indices.</summary>
    private static (Tensor Features, long[] Labels) TestSet(MLContext ml, IEstimator<ITransformer> preprocessing, GrayscaleImages test)
    {
        var view = test.ToDataView();
        var rows = ml.Data.CreateEnumerable<TestRow>(preprocessing.Fit(view).Transform(view), reuseRowObject: false).ToList();
        int length = rows[0].Features.Length;
        var pixels = new float[rows.Count * length];
        for (int i = 0; i < rows.Count; i++)
            rows[i].Features.CopyTo(pixels, i * length);
        long side = (long)Math.Round(Math.Sqrt(length));
        return (tensor(pixels, [rows.Count, 1, side, side]), rows.Select(r => (long)r.Label - 1).ToArray());
    }

    private static double Accuracy(GoogLeNetNetwork network, Tensor features, long[] labels, int batchSize)
    {
        using var noGrad = no_grad();
        long correct = 0;
        for (long start = 0; start < labels.Length; start += batchSize)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(batchSize, labels.Length - start);
            var predicted = network.forward(features.narrow(0, start, count)).argmax(1).data<long>().ToArray();
            for (int i = 0; i < count; i++)
                if (predicted[i] == labels[start + i])
                    correct++;
        }
        return (double)correct / labels.Length;
    }
}
