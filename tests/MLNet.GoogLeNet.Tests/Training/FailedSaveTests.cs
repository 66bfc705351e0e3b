using Microsoft.ML;
using MLNet.GoogLeNet.Cli.Jobs;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Tests.TestData;
using MLNet.GoogLeNet.Training;

namespace MLNet.GoogLeNet.Tests.Training;

/// <summary>
/// The final save of <c>googlenet train</c> failing (here: a folder took the model's path after training started) does
/// not lose the trained model: it is saved to a fallback file holding the same weights, and the error names the model
/// path, the fallback and the run's last checkpoint.
/// </summary>
public sealed class FailedSaveTests : IDisposable
{
    private static readonly string[] Classes = ["coat", "bag", "boot"];
    private readonly string _work = Directory.CreateTempSubdirectory("googlenet-failed-save-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private static GoogLeNetTransformer Model() =>
        NetworkZips.Transformer(NetworkZips.Perturbed(new GoogLeNetConfiguration(1, Classes.Length, 32, 32, WidthDivisor: 16), 5), Classes).Model;

    [Fact]
    public void A_failed_save_keeps_the_model_in_a_fallback_file_with_the_same_weights_and_names_the_last_checkpoint()
    {
        string path = Path.Combine(_work, "model.zip");
        Directory.CreateDirectory(path);
        string checkpoints = Path.Combine(_work, "checkpoints");
        using (var folder = CheckpointFolder.Open(checkpoints, keep: 1))
            folder.Write(new CheckpointManifest
            {
                Position = TrainingPosition.Beginning(12) with { Finished = true },
                Reports = [], OptimizerSteps = [], Network = GoogLeNetConfiguration.Recipe, Classes = [.. Classes], Options = [],
            }, []);
        string fallbackFolder = Path.Combine(_work, "fallback");
        using var model = Model();

        var error = Assert.Throws<IOException>(() => FinalSave.Save(new MLContext(), model, path, checkpoints, fallbackFolder));

        string fallback = Assert.Single(Directory.GetFiles(fallbackFolder));
        Assert.Matches(@"googlenet-unsaved-\d{8}-\d{6}-\d+\.zip$", fallback);
        Assert.StartsWith($"Could not save the trained model to '{path}' (", error.Message);
        Assert.Contains($"that file is as it was. The trained model was saved to '{fallback}' instead: move it where it belongs. ", error.Message);
        Assert.EndsWith($"The run's last checkpoint is '{CheckpointFolder.Resolve(checkpoints)}': once there is room, the same command with " +
                        "--resume saves the model without training again.", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(path));

        var saved = ModelFile.ImportNetwork(fallback);
        using var network = saved.Network;
        Assert.Equal(Classes, saved.ClassNames);
        var expected = model.Network.state_dict();
        foreach (var (name, value) in network.state_dict())
            Assert.True(value.eq(expected[name]).all().item<bool>(), $"weight '{name}' differs in the fallback zip");
    }

    [Fact]
    public void When_the_fallback_fails_too_the_error_says_so_and_what_to_do()
    {
        string path = Path.Combine(_work, "model.zip");
        Directory.CreateDirectory(path);
        string file = Path.Combine(_work, "a-file");
        File.WriteAllText(file, "not a folder");
        using var model = Model();

        var error = Assert.Throws<IOException>(() => FinalSave.Save(new MLContext(), model, path, checkpointFolder: null, Path.Combine(file, "fallback")));

        Assert.StartsWith($"Could not save the trained model to '{path}' (", error.Message);
        Assert.Contains($"Saving it to '{Path.Combine(file, "fallback")}", error.Message);
        Assert.Contains("' failed too (", error.Message);
        Assert.EndsWith("Free some space or choose another --model, and train again (with --checkpoint-dir, a failed save can be redone with --resume).", error.Message);
    }
}
