using Microsoft.ML;
using MLNet.GoogLeNet.Tests.TestData;
using MLNet.GoogLeNet.Training;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Training;

/// <summary>
/// Checkpoints in the library: a run stopped in the middle of an epoch and resumed from its latest checkpoint ends with
/// exactly the weights of a run that was never stopped; checkpoints of other runs are refused with what differs.
/// </summary>
public sealed class CheckpointResumeTests : IDisposable
{
    private readonly PatternImages _images = PatternImages.Create(trainPerClass: 10, testPerClass: 3, size: 32, seed: 9);
    private readonly string _work = Directory.CreateTempSubdirectory("googlenet-checkpoints-").FullName;

    public void Dispose()
    {
        _images.Dispose();
        Directory.Delete(_work, recursive: true);
    }

    public enum Recipe
    {
        /// <summary>The default preset: batch normalisation, AdamW, one-cycle rate, translations.</summary>
        DefaultPreset,

        /// <summary>The plain network with SGD and Nesterov momentum, a cosine rate, resized crops and flips, early stopping.</summary>
        SgdWithEarlyStopping,

        /// <summary>torchvision's GoogLeNet with its auxiliary classifiers: dropout (0.2 and 0.7) in every step.</summary>
        TorchvisionWithDropout,
    }

    private static GoogLeNetTrainerOptions Options(Recipe recipe) => recipe switch
    {
        Recipe.DefaultPreset => new GoogLeNetTrainerOptions { Epochs = 2, BatchSize = 4, WidthDivisor = 16 },
        Recipe.TorchvisionWithDropout => new GoogLeNetTrainerOptions
        {
            Epochs = 2, BatchSize = 4, WidthDivisor = 16, Architecture = NetworkArchitecture.GoogLeNetTorchvision,
            TrainAuxiliaryClassifiers = true,
        },
        _ => new GoogLeNetTrainerOptions(TrainingPreset.Recipe)
        {
            Epochs = 2, BatchSize = 4, WidthDivisor = 16, LearningRate = 0.02, Momentum = 0.9, Nesterov = true,
            LearningRateSchedule = LearningRateSchedule.Cosine, Augmentation = AugmentationKind.RandomResizedCrop,
            HorizontalFlip = true, EarlyStoppingPatience = 2, Initialization = WeightInitialization.Kaiming,
        },
    };

    /// <summary>Fits the pattern images with <paramref name="options"/>, the validation set attached, under MLContext seed 4.</summary>
    private GoogLeNetTransformer Fit(GoogLeNetTrainerOptions options)
    {
        var ml = new MLContext(seed: 4);
        var train = ml.Data.LoadFromEnumerable(_images.Train);
        var preprocessing = PatternImages.Preprocessing(ml, 32).Fit(train);
        options.ValidationSet = preprocessing.Transform(ml.Data.LoadFromEnumerable(_images.Test));
        var model = PatternImages.Preprocessing(ml, 32)
            .Append(ml.MulticlassClassification.Trainers.GoogLeNet(ml, options))
            .Fit(train);
        return ((IEnumerable<ITransformer>)model).OfType<GoogLeNetTransformer>().Single();
    }

    [Theory]
    [InlineData(Recipe.DefaultPreset)]
    [InlineData(Recipe.SgdWithEarlyStopping)]
    [InlineData(Recipe.TorchvisionWithDropout)]
    public void A_run_stopped_mid_epoch_and_resumed_ends_with_the_weights_of_an_uninterrupted_run(Recipe recipe)
    {
        using var uninterrupted = Fit(Options(recipe));

        // 40 images in batches of 4: 10 batches an epoch; stop in the last epoch after its 8th batch, when the latest
        // checkpoint is the one after its 6th.
        string folder = Path.Combine(_work, "checkpoints");
        int lastEpoch = Options(recipe).Epochs;
        using var stop = new CancellationTokenSource();
        var stopped = Options(recipe);
        stopped.CheckpointDirectory = folder;
        stopped.CheckpointEveryBatches = 3;
        stopped.KeepCheckpoints = 2;
        stopped.CancellationToken = stop.Token;
        var freshStarts = new List<TrainingStart>();
        stopped.StartProgress = new ProgressHandler<TrainingStart>(freshStarts.Add);
        stopped.BatchProgress = new ProgressHandler<BatchProgress>(p =>
        {
            if (p.Epoch == lastEpoch && p.ImagesDone == 8 * 4)
                stop.Cancel();
        });
        Assert.ThrowsAny<OperationCanceledException>(() => Fit(stopped));
        var fresh = Assert.Single(freshStarts);
        Assert.Null(fresh.ResumedFrom);
        Assert.Null(fresh.FineTunedFrom);
        Assert.Equal((1, 0L, false), (fresh.Epoch, fresh.BatchesDone, fresh.Finished));
        Assert.Equal([$"checkpoint-e{lastEpoch:D4}-b000003.ckpt", $"checkpoint-e{lastEpoch:D4}-b000006.ckpt"],
            FilesBesideTheLock(folder).Order(StringComparer.Ordinal));

        var resumed = Options(recipe);
        resumed.CheckpointDirectory = folder;
        resumed.CheckpointEveryBatches = 3;
        resumed.KeepCheckpoints = 2;
        resumed.ResumeFrom = folder;
        var batchesAfterResume = new List<BatchProgress>();
        resumed.BatchProgress = new ProgressHandler<BatchProgress>(batchesAfterResume.Add);
        var starts = new List<TrainingStart>();
        resumed.StartProgress = new ProgressHandler<TrainingStart>(starts.Add);
        using var finished = Fit(resumed);

        // The start comes through StartProgress as data: the checkpoint the folder resolved to and the point in it.
        var start = Assert.Single(starts);
        Assert.Equal(Path.Combine(folder, $"checkpoint-e{lastEpoch:D4}-b000006.ckpt"), start.ResumedFrom);
        Assert.Null(start.FineTunedFrom);
        Assert.Equal((lastEpoch, 6L, false), (start.Epoch, start.BatchesDone, start.Finished));

        Assert.Equal(4, batchesAfterResume.Count);  // batches 7 to 10 of the last epoch: those after the checkpoint
        Assert.Equal(uninterrupted.TrainingHistory.Select(e => (e.Loss, e.TrainAccuracy, e.ValidationAccuracy)),
            finished.TrainingHistory.Select(e => (e.Loss, e.TrainAccuracy, e.ValidationAccuracy)));
        var expected = uninterrupted.Network.state_dict();
        var actual = finished.Network.state_dict();
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (name, tensor) in expected)
            Assert.True(Identical(tensor, actual[name]), $"{name} differs from the uninterrupted run's");
        // The end of the run left a checkpoint too, and the older ones beyond the two kept are gone.
        Assert.Equal($"checkpoint-e{lastEpoch:D4}-b000010.ckpt", Path.GetFileName(CheckpointFolder.Resolve(folder)));
        Assert.Equal(2, FilesBesideTheLock(folder).Count());

        // Resumed from that last checkpoint, the run has nothing left to train, and says so.
        var again = Options(recipe);
        again.ResumeFrom = folder;
        starts.Clear();
        again.StartProgress = new ProgressHandler<TrainingStart>(starts.Add);
        using var unchanged = Fit(again);
        var nothingLeft = Assert.Single(starts);
        Assert.True(nothingLeft.Finished);
        Assert.Equal(lastEpoch + 1, nothingLeft.Epoch);
        Assert.Equal(uninterrupted.TrainingHistory.Count, unchanged.TrainingHistory.Count);
        foreach (var (name, tensor) in unchanged.Network.state_dict())
            Assert.True(Identical(tensor, actual[name]), $"{name} differs from the resumed run's");
    }

    /// <summary>The names of the files in <paramref name="folder"/> but its lock file, which stays once a run has held it.</summary>
    private static IEnumerable<string> FilesBesideTheLock(string folder) =>
        Directory.GetFiles(folder).Select(file => Path.GetFileName(file)!).Where(name => name != CheckpointFolder.LockFileName);

    [Fact]
    public void A_checkpoint_of_another_run_is_refused_with_what_differs()
    {
        string folder = Path.Combine(_work, "run");
        var options = new GoogLeNetTrainerOptions { Epochs = 1, BatchSize = 8, WidthDivisor = 16, CheckpointDirectory = folder };
        Fit(options).Dispose();
        string checkpoint = CheckpointFolder.Resolve(folder);

        var other = new GoogLeNetTrainerOptions { Epochs = 1, BatchSize = 10, WidthDivisor = 16, LearningRate = 0.01, ResumeFrom = folder };
        var error = Assert.Throws<InvalidOperationException>(() => Fit(other));
        Assert.Contains(checkpoint, error.Message);
        Assert.Contains("BatchSize is 8 in the checkpoint and 10 now", error.Message);
        Assert.Contains("LearningRate is 0.005 in the checkpoint and 0.01 now", error.Message);
        Assert.DoesNotContain("Epochs", error.Message);

        var otherNetwork = new GoogLeNetTrainerOptions { Epochs = 1, BatchSize = 8, WidthDivisor = 8, ResumeFrom = checkpoint };
        error = Assert.Throws<InvalidOperationException>(() => Fit(otherNetwork));
        Assert.Contains("WidthDivisor is 16 in the checkpoint and 8 now", error.Message);

        var plain = new GoogLeNetTrainerOptions
        {
            Epochs = 1, BatchSize = 8, WidthDivisor = 16, Architecture = NetworkArchitecture.GoogLeNet, FineTuneFrom = checkpoint,
        };
        error = Assert.Throws<InvalidOperationException>(() => Fit(plain));
        Assert.Contains("the architecture is GoogLeNetBatchNorm in the checkpoint and GoogLeNet now", error.Message);

        string truncated = Path.Combine(_work, "truncated.ckpt");
        var bytes = File.ReadAllBytes(checkpoint);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        error = Assert.Throws<InvalidOperationException>(() => Fit(new GoogLeNetTrainerOptions { WidthDivisor = 16, ResumeFrom = truncated }));
        Assert.Contains(truncated, error.Message);
        Assert.StartsWith("ResumeFrom: ", error.Message);

        string missing = Path.Combine(_work, "nothing-here");
        error = Assert.Throws<InvalidOperationException>(() => Fit(new GoogLeNetTrainerOptions { WidthDivisor = 16, ResumeFrom = missing }));
        Assert.Contains($"There is no checkpoint file or folder '{missing}'", error.Message);
    }

    [Fact]
    public void Checkpoint_options_are_validated_with_their_names()
    {
        Assert.Equal(nameof(GoogLeNetTrainerOptions.CheckpointEveryBatches),
            new GoogLeNetTrainerOptions { CheckpointEveryBatches = 5 }.FindProblem()?.Option);
        Assert.Equal(nameof(GoogLeNetTrainerOptions.KeepCheckpoints),
            new GoogLeNetTrainerOptions { CheckpointDirectory = "x", KeepCheckpoints = 0 }.FindProblem()?.Option);
        Assert.Equal(nameof(GoogLeNetTrainerOptions.FreezeEpochs), new GoogLeNetTrainerOptions { FreezeEpochs = 2 }.FindProblem()?.Option);
        Assert.Equal(nameof(GoogLeNetTrainerOptions.ResumeFrom), new GoogLeNetTrainerOptions { ResumeFrom = " " }.FindProblem()?.Option);
        Assert.Null(new GoogLeNetTrainerOptions { CheckpointDirectory = "x", CheckpointEveryBatches = 5, FineTuneFrom = "y", FreezeEpochs = 2 }.FindProblem());
    }

    /// <summary>Same shape and every element equal, bit for bit up to the sign of zero.</summary>
    internal static bool Identical(Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        return x.shape.SequenceEqual(y.shape) && x.cpu().eq(y.cpu()).all().item<bool>();
    }
}
