using System.Diagnostics;
using System.Text;
using MLNet.GoogLeNet.Cli;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Tests.TestData;
using MLNet.GoogLeNet.Training;
using Spectre.Console;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Cli;

/// <summary>
/// <c>googlenet train</c> killed with SIGKILL in the middle of an epoch, then run again with <c>--resume</c>, ends with
/// exactly the weights of a run that was never killed.
/// </summary>
public sealed class CliCheckpointTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("googlenet-cli-checkpoints-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private static string Googlenet => RepositoryPaths.Googlenet;

    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    /// <summary>A tiny network in batches of 4 with a checkpoint after every 2nd batch.</summary>
    private static string[] Train(string data, string folder) =>
    [
        "train", "--data", data, "--image-size", "32", "--width-divisor", "16", "--batch-size", "4", "--seed", "3",
        "--no-validation", "--checkpoint-dir", folder, "--checkpoint-every", "2", "--keep-checkpoints", "2",
        "--model", Path.Combine(folder, "model.zip"),
    ];

    /// <summary>48 images: 12 batches an epoch; one thread, so that the CPU computes the same every time.</summary>
    private static string[] TwoEpochs => ["--epochs", "2", "--threads", "1"];

    [LinuxFact]
    public void Train_killed_mid_epoch_and_resumed_ends_with_the_weights_of_an_uninterrupted_run()
    {
        Assert.True(File.Exists(Googlenet), $"{Googlenet} was not built");
        string data = Path.Combine(_work, "idx");
        IdxFiles.WriteFashionMnist(data, trainCount: 48, testCount: 8);
        string whole = Path.Combine(_work, "whole"), killed = Path.Combine(_work, "killed");

        var uninterrupted = ProcessRunner.RunDotnet(Googlenet, [.. Train(data, whole), .. TwoEpochs], Patience);
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.Output + uninterrupted.Error);

        // Kill the second run as soon as its first checkpoint is there (after batch 2 of 12 of the first epoch).
        var output = new StringBuilder();
        using (var child = ProcessRunner.StartDotnet(Googlenet, [.. Train(data, killed), .. TwoEpochs], output))
        {
            ProcessRunner.WaitWhileRunning(child, () => CheckpointFolder.Checkpoints(killed).Any(), "a checkpoint", Patience, output);
            child.Kill();  // SIGKILL: no handler runs, nothing is flushed
            child.WaitForExit();
            Assert.NotEqual(0, child.ExitCode);
        }
        Assert.False(File.Exists(Path.Combine(killed, "model.zip")), "the killed run got as far as saving its model");
        using (var latest = Checkpoint.Read(CheckpointFolder.Resolve(killed)))
        {
            Assert.Equal(1, latest.Manifest.Position.Epoch);
            Assert.False(latest.Manifest.Position.EpochComplete, $"the kill came only after the epoch's end ({latest.Path})");
        }

        var resumed = ProcessRunner.RunDotnet(Googlenet, [.. Train(data, killed), .. TwoEpochs, "--resume"], Patience);
        Assert.True(resumed.ExitCode == 0, resumed.Output + resumed.Error);
        Assert.Contains("Resuming from ", resumed.Output);
        Assert.True(File.Exists(Path.Combine(killed, "model.zip")));
        Assert.Empty(Directory.GetFiles(killed, "*.tmp"));  // a write the kill interrupted leaves nothing behind for long

        using var expected = Checkpoint.Read(CheckpointFolder.Resolve(whole));
        using var actual = Checkpoint.Read(CheckpointFolder.Resolve(killed));
        Assert.Equal(Path.GetFileName(expected.Path), Path.GetFileName(actual.Path));  // both at the end of epoch 2
        Assert.True(actual.Manifest.Position.Finished);
        var names = expected.Tensors.Keys.Where(name => name.StartsWith(Checkpoint.NetworkPrefix, StringComparison.Ordinal)).ToList();
        Assert.True(names.Count > 50, $"only {names.Count} network tensors");
        foreach (string name in names)
            Assert.True(Identical(expected.Tensors[name], actual.Tensors[name]), $"{name} differs from the uninterrupted run's");
        Assert.Equal(expected.Manifest.Reports.Select(r => r.Loss), actual.Manifest.Reports.Select(r => r.Loss));
    }

    [Fact]
    public void Resume_with_other_options_is_refused_and_from_fine_tunes_the_saved_zip()
    {
        string data = Path.Combine(_work, "idx");
        IdxFiles.WriteFashionMnist(data, trainCount: 16, testCount: 4);
        string folder = Path.Combine(_work, "run");
        var first = Run([.. Train(data, folder), "--epochs", "1"]);
        Assert.True(first.ExitCode == 0, first.Output);

        var again = Run([.. Train(data, folder), "--epochs", "1", "--learning-rate", "0.02", "--resume"]);
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("LearningRate is 0.005 in the checkpoint and 0.02 now", again.Output);

        var missing = Run([.. Train(data, folder), "--resume", Path.Combine(_work, "none.ckpt")]);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("none.ckpt", missing.Output);

        var noFolder = Run(["train", "--data", data, "--resume"]);
        Assert.NotEqual(0, noFolder.ExitCode);
        Assert.Contains("--resume without a path needs --checkpoint-dir", noFolder.Output);

        // The first run's zip, fine-tuned on the same classes with its feature extractor frozen.
        string tuned = Path.Combine(_work, "tuned.zip");
        var fineTune = Run(["train", "--data", data, "--image-size", "32", "--width-divisor", "16", "--batch-size", "4", "--epochs", "1",
            "--no-validation", "--from", Path.Combine(folder, "model.zip"), "--freeze-epochs", "1", "--model", tuned]);
        Assert.True(fineTune.ExitCode == 0, fineTune.Output);
        Assert.Contains($"Fine-tuning all the weights of {Path.Combine(folder, "model.zip")}", fineTune.Output);
        Assert.True(File.Exists(tuned));

        // Without the network's options the zip's own network is trained (and a checkpoint's), and the log says so.
        GoogLeNetConfiguration saved;
        using (var original = ModelFile.ImportNetwork(Path.Combine(folder, "model.zip")).Network)
            saved = original.Configuration;
        Assert.Equal((NetworkArchitecture.GoogLeNetBatchNorm, 1, 32, 16), (saved.Architecture, saved.InputChannels, saved.ImageHeight, saved.WidthDivisor));
        foreach (string from in new[] { Path.Combine(folder, "model.zip"), folder })
        {
            File.Delete(tuned);
            var bare = Run(["train", "--data", data, "--batch-size", "4", "--epochs", "1", "--no-validation", "--from", from, "--model", tuned]);
            Assert.True(bare.ExitCode == 0, bare.Output);
            Assert.Contains("--from holds a googlenet-bn network (1×32×32, width divisor 16): training with its architecture, image size, " +
                            "channels and width divisor (--architecture, --image-size, --channels and --width-divisor would change them).", bare.Output);
            Assert.Contains("GoogLeNetBatchNorm at 32×32", bare.Output);
            var imported = ModelFile.ImportNetwork(tuned);
            using (imported.Network)
                Assert.Equal(saved, imported.Network.Configuration);
        }

        var otherNetwork = Run(["train", "--data", data, "--image-size", "32", "--width-divisor", "8", "--epochs", "1",
            "--no-validation", "--from", Path.Combine(folder, "model.zip"), "--model", tuned]);
        Assert.NotEqual(0, otherNetwork.ExitCode);
        Assert.Contains("WidthDivisor is 16 in the model and 8 now", otherNetwork.Output);
    }

    private static (int ExitCode, string Output) Run(string[] args)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 400;
        int exit = CliApplication.Run(args, console);
        return (exit, writer.ToString());
    }

    private static bool Identical(Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        return x.shape.SequenceEqual(y.shape) && x.eq(y).all().item<bool>();
    }
}
