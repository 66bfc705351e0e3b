using System.Text.Json;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Bench;

/// <summary>
/// bench/colour-images/pretrain.py, the script that makes the weights of the side-by-side's frozen and fine-tuned rows
/// (docs/transfer-learning.md), run as a user runs it on a corpus of the kind prepare-pretraining.sh writes, tiny: the
/// file it writes is read by <c>googlenet train --from</c> as torchvision's published file is — the architecture told by
/// its keys, the auxiliary classifiers left out and said, a new head for other classes. Nothing else runs the script.
/// </summary>
public sealed class PretrainScriptTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("googlenet-pretrain-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private static string Script => Path.Combine(RepositoryPaths.Root, "bench", "colour-images", "pretrain.py");

    [PythonModuleFact("torchvision", "python3-torchvision")]
    public void The_weights_it_writes_are_read_by_train_from_as_torchvision_s()
    {
        string python = PythonInterpreter.With("torchvision")!;
        string corpus = Path.Combine(_work, "corpus.npz");
        // Two classes of 20 random 32×32 RGBA pictures, as prepare-pretraining.sh lays them out.
        var (code, stdout, stderr) = PythonInterpreter.Run(python, ["-c",
            "import numpy as np, sys; r = np.random.default_rng(1); " +
            "np.savez_compressed(sys.argv[1], images=r.integers(0, 256, (40, 32, 32, 4), dtype=np.uint8), " +
            "labels=np.arange(40, dtype=np.int64) % 2, classes=np.array(['first', 'second']))", corpus]);
        Assert.True(code == 0, stdout + stderr);

        string weights = Path.Combine(_work, "tiny-googlenet.pth");
        (code, stdout, stderr) = PythonInterpreter.Run(python, [Script, corpus, weights, "--epochs", "1", "--batch", "8", "--device", "cpu"]);
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("held-out accuracy", stdout);
        Assert.False(File.Exists(weights + ".tmp"));
        using (var record = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(weights, ".json"))))
        {
            Assert.Equal(["first", "second"], record.RootElement.GetProperty("classes").EnumerateArray().Select(c => c.GetString()));
            Assert.Equal(4, record.RootElement.GetProperty("held_out").GetInt32());  // a tenth of each class
        }

        using var images = PatternImages.Create(trainPerClass: 4, testPerClass: 0, size: 32, classCount: 3);
        string model = Path.Combine(_work, "model.zip");
        var (exit, text) = CliRunner.Run(["train", "--data", images.Root, "--from", weights, "--image-size", "32",
            "--batch-size", "4", "--epochs", "1", "--no-validation", "--model", model]);
        Assert.True(exit == 0, text);
        Assert.Contains("--from holds a googlenet-torchvision network: training with its architecture (--architecture would change it).", text);
        Assert.Contains($"Fine-tuning the weights of {weights} with a new classifier head for 3 classes (the file's head has 2 outputs); " +
                        "20 keys of aux1 and aux2, modules this network has no place for, were left out.", text);
        Assert.True(new FileInfo(model).Length > 0);
    }
}
