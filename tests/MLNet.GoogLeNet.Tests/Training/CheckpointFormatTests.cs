using System.IO.Compression;
using System.Text.Json.Nodes;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Training;

namespace MLNet.GoogLeNet.Tests.Training;

/// <summary>
/// The checkpoint manifest's layout: the training loop's position is stored as one record and read back equal, and a
/// manifest of another format is refused by its format number before anything else of it is read.
/// </summary>
public sealed class CheckpointFormatTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("googlenet-checkpoint-format-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    /// <summary>Mid-epoch, with doubles that only an exact round trip keeps.</summary>
    private static readonly TrainingPosition MidEpoch = new(Epoch: 2, BatchesDone: 7, EpochComplete: false, Finished: false, Steps: 17,
        ImagesPerEpoch: 40, LossSum: Math.PI * 10, Correct: 11, Images: 27, Seconds: 1.0 / 3);

    private string Write(TrainingPosition position)
    {
        var manifest = new CheckpointManifest
        {
            Position = position,
            Reports = [new EpochReport(1, 3, 1.25, 0.5, null, 0.01, 2.5, 40)],
            OptimizerSteps = [],
            Network = new GoogLeNetConfiguration(1, 4, 32, 32, WidthDivisor: 16),
            Classes = ["a", "b", "c", "d"],
            Options = new Dictionary<string, string> { ["Seed"] = "3" },
        };
        string path = Path.Combine(_work, CheckpointFolder.FileName(position.Epoch, position.BatchesDone));
        Checkpoint.Write(path, manifest, []);
        return path;
    }

    /// <summary>Replaces the checkpoint's manifest.json with what <paramref name="change"/> makes of it.</summary>
    private static void RewriteManifest(string path, Action<JsonObject> change)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        var entry = zip.GetEntry("manifest.json")!;
        JsonObject manifest;
        using (var stream = entry.Open())
            manifest = JsonNode.Parse(stream)!.AsObject();
        entry.Delete();
        change(manifest);
        using var writer = new StreamWriter(zip.CreateEntry("manifest.json").Open());
        writer.Write(manifest.ToJsonString());
    }

    [Fact]
    public void The_position_is_one_property_of_the_manifest_and_reads_back_equal()
    {
        string path = Write(MidEpoch);

        using (var zip = ZipFile.OpenRead(path))
        using (var stream = zip.GetEntry("manifest.json")!.Open())
        {
            var manifest = JsonNode.Parse(stream)!.AsObject();
            Assert.Equal(CheckpointManifest.CurrentFormat, (int)manifest["Format"]!);
            Assert.Equal(2, (int)manifest["Position"]!["Epoch"]!);
            Assert.False(manifest.ContainsKey("Epoch"));
            Assert.False(manifest.ContainsKey("LossSum"));
        }
        using var read = Checkpoint.Read(path);
        Assert.Equal(MidEpoch, read.Manifest.Position);
        Assert.Equal(2, read.Manifest.Position.NextEpoch(epochs: 3));
        Assert.Equal(7, read.Manifest.Position.BatchesDoneOfNextEpoch);
    }

    [Fact]
    public void A_checkpoint_of_the_earlier_flat_layout_is_refused_by_its_format_not_misread()
    {
        string path = Write(MidEpoch);
        // Format 1 kept the position's fields at the top level of the manifest.
        RewriteManifest(path, manifest =>
        {
            var position = manifest["Position"]!.AsObject();
            manifest.Remove("Position");
            foreach (var (name, value) in position.ToList())
            {
                position.Remove(name);
                manifest[name] = value;
            }
            manifest["Format"] = 1;
        });

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Read(path));
        Assert.Contains($"'{path}' is a checkpoint of format 1", error.Message);
        Assert.Contains($"it reads format {CheckpointManifest.CurrentFormat}", error.Message);

        // What Fit reports for ResumeFrom (and FineTuneFrom) names the option and says the same.
        var refused = Assert.Throws<InvalidOperationException>(() => GoogLeNetTrainer.ReadCheckpoint(_work, nameof(GoogLeNetTrainerOptions.ResumeFrom)));
        Assert.StartsWith($"ResumeFrom: '{path}' is a checkpoint of format 1", refused.Message);
    }

    [Fact]
    public void A_manifest_without_a_format_number_is_not_taken_for_the_current_one()
    {
        string path = Write(MidEpoch);
        RewriteManifest(path, manifest => manifest.Remove("Format"));

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Read(path));
        Assert.Contains("has no format number", error.Message);
    }
}
