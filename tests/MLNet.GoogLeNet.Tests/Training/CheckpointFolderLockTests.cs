using System.Diagnostics;
using System.Text;
using Microsoft.ML;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Tests.TestData;
using MLNet.GoogLeNet.Training;

namespace MLNet.GoogLeNet.Tests.Training;

/// <summary>
/// One writer per checkpoint folder: a second run given a folder that a run holds is refused at its start, naming the
/// folder, while the first goes on to its end unharmed; the lock goes with its holder, also when that
/// process is killed.
/// </summary>
public sealed class CheckpointFolderLockTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("googlenet-checkpoint-lock-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private static string Googlenet => RepositoryPaths.Googlenet;

    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    /// <summary>A tiny network in batches of 4 with a checkpoint after every batch.</summary>
    private static string[] Train(string data, string folder, int epochs) =>
    [
        "train", "--data", data, "--image-size", "32", "--width-divisor", "16", "--batch-size", "4", "--seed", "3", "--threads", "1",
        "--no-validation", "--checkpoint-dir", folder, "--checkpoint-every", "1", "--keep-checkpoints", "2", "--epochs", epochs.ToString(),
        "--model", Path.Combine(folder, "model.zip"),
    ];

    private static string Refusal(string folder) =>
        $"Checkpoint folder '{folder}' is in use by another training run (its lock file .googlenet.lock is held); ";

    private static CheckpointManifest Manifest(int epoch, long batches) => new()
    {
        Position = TrainingPosition.Beginning(40) with { Epoch = epoch, BatchesDone = batches },
        Reports = [],
        OptimizerSteps = [],
        Network = new GoogLeNetConfiguration(1, 4, 32, 32, WidthDivisor: 16),
        Classes = ["a", "b", "c", "d"],
        Options = new Dictionary<string, string> { ["Seed"] = "3" },
    };

    [Fact]
    public void A_second_writer_in_the_same_process_is_refused_while_the_first_writes_on_and_gets_the_folder_after_it()
    {
        string folder = Path.Combine(_work, "run");
        using (var first = CheckpointFolder.Open(folder, keep: 2))
        {
            first.Write(Manifest(1, 1), []);
            var error = Assert.Throws<InvalidOperationException>(() => CheckpointFolder.Open(folder, keep: 2));
            Assert.StartsWith(Refusal(folder), error.Message);

            // The refused writer deleted nothing; the first writes on and keeps its last two.
            first.Write(Manifest(1, 2), []);
            first.Write(Manifest(1, 3), []);
            Assert.Equal([CheckpointFolder.FileName(1, 2), CheckpointFolder.FileName(1, 3)],
                CheckpointFolder.Checkpoints(folder).Select(Path.GetFileName));
        }
        using var next = CheckpointFolder.Open(folder, keep: 2);
        Assert.Equal(CheckpointFolder.FileName(1, 3), Path.GetFileName(CheckpointFolder.Resolve(folder)));
    }

    [Fact]
    public void Fit_on_a_folder_another_run_holds_is_refused_before_training()
    {
        using var images = PatternImages.Create(trainPerClass: 2, testPerClass: 1, size: 32, seed: 3);
        string folder = Path.Combine(_work, "held");
        using var held = CheckpointFolder.Open(folder, keep: 1);
        var ml = new MLContext(seed: 1);
        var batches = new List<BatchProgress>();
        var options = new GoogLeNetTrainerOptions
        {
            Epochs = 1, BatchSize = 4, WidthDivisor = 16, CheckpointDirectory = folder,
            BatchProgress = new ProgressHandler<BatchProgress>(batches.Add),
        };
        var pipeline = PatternImages.Preprocessing(ml, 32).Append(ml.MulticlassClassification.Trainers.GoogLeNet(ml, options));

        var error = Assert.Throws<InvalidOperationException>(() => pipeline.Fit(ml.Data.LoadFromEnumerable(images.Train)));
        Assert.StartsWith(Refusal(folder), error.Message);
        Assert.Empty(batches);
        Assert.Empty(CheckpointFolder.Checkpoints(folder));
    }

    [LinuxFact]
    public void A_second_googlenet_train_on_the_folder_is_refused_while_the_first_runs_to_its_end()
    {
        Assert.True(File.Exists(Googlenet), $"{Googlenet} was not built");
        string data = Path.Combine(_work, "idx");
        IdxFiles.WriteFashionMnist(data, trainCount: 48, testCount: 8);
        string folder = Path.Combine(_work, "run");
        var output = new StringBuilder();
        using var child = ProcessRunner.StartDotnet(Googlenet, Train(data, folder, epochs: 2), output);
        WaitForACheckpoint(child, folder, output);

        var second = CliRunner.Run(Train(data, folder, epochs: 2));
        Assert.Equal(1, second.ExitCode);
        Assert.Contains(Refusal(folder), second.Output);

        Assert.True(child.WaitForExit(Patience), $"the first run did not end within {Patience}");
        lock (output)
            Assert.True(child.ExitCode == 0, output.ToString());
        Assert.True(File.Exists(Path.Combine(folder, "model.zip")));
        using var last = Checkpoint.Read(CheckpointFolder.Resolve(folder));
        Assert.True(last.Manifest.Position.Finished);
        Assert.Equal(2, last.Manifest.Reports.Count);
    }

    [LinuxFact]
    public void A_killed_run_leaves_no_lock_behind()
    {
        Assert.True(File.Exists(Googlenet), $"{Googlenet} was not built");
        string data = Path.Combine(_work, "idx");
        IdxFiles.WriteFashionMnist(data, trainCount: 48, testCount: 8);
        string folder = Path.Combine(_work, "killed");
        var output = new StringBuilder();
        using (var child = ProcessRunner.StartDotnet(Googlenet, Train(data, folder, epochs: 5), output))
        {
            WaitForACheckpoint(child, folder, output);
            Assert.Throws<InvalidOperationException>(() => CheckpointFolder.Open(folder, keep: 2));
            child.Kill();  // SIGKILL: nothing of the run's own runs
            child.WaitForExit();
        }
        Assert.True(File.Exists(Path.Combine(folder, CheckpointFolder.LockFileName)));
        using var next = CheckpointFolder.Open(folder, keep: 2);
    }

    private static void WaitForACheckpoint(Process child, string folder, StringBuilder output) =>
        ProcessRunner.WaitWhileRunning(child, () => CheckpointFolder.Checkpoints(folder).Any(), "a checkpoint", Patience, output);
}
