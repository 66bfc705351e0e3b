using MLNet.GoogLeNet.Export;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Tests.TestData;
using MLNet.GoogLeNet.Training;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Data;

/// <summary>
/// Weights files whose values are not all numbers — a state dict or safetensors file, a checkpoint, the ONNX network of
/// a model zip — are refused as they are read, naming the file and the tensor, instead of loading and ending the run
/// with "training diverged".
/// </summary>
public sealed class NonFiniteWeightsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-nan-weights-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The network <c>train --image-size 32 --width-divisor 16</c> builds for the ten Fashion-MNIST classes.</summary>
    private static GoogLeNetConfiguration CliNetwork => new(InputChannels: 1, ClassCount: 10, ImageHeight: 32, ImageWidth: 32, WidthDivisor: 16);

    /// <summary>The key of the first 1×1 convolution's weight, its value at [0, 1, 0, 0] (flat index 1) set to <paramref name="value"/>.</summary>
    private static string Spoil(GoogLeNetNetwork network, float value)
    {
        var (key, weight) = network.state_dict().First(p => p.Key.EndsWith(".weight", StringComparison.Ordinal)
            && p.Value.dim() == 4 && p.Value.shape[1] > 1 && p.Value.shape[2] == 1 && p.Value.shape[3] == 1);
        using var noGrad = no_grad();
        weight[0, 1, 0, 0].fill_(value);
        Assert.True(float.IsNaN(value) ? weight.isnan().any().item<bool>() : weight.isinf().any().item<bool>());
        return key;
    }

    [Fact]
    public void Safetensors_and_pickle_state_dicts_with_a_nan_or_infinity_are_refused_naming_the_key()
    {
        using var network = new GoogLeNetNetwork(CliNetwork);
        string clean = Path.Combine(_folder, "clean.safetensors");
        StateDictFile.Save(network, clean);
        var read = StateDictFile.Read(clean);
        Assert.Equal(network.state_dict().Keys.Order(), read.Keys.Order());
        foreach (var tensor in read.Values)
            tensor.Dispose();

        foreach (var (file, value) in new[] { ("nan.safetensors", float.NaN), ("inf.pt", float.PositiveInfinity) })
        {
            string key = Spoil(network, value);
            string path = Path.Combine(_folder, file);
            StateDictFile.Save(network, path);
            var error = Assert.Throws<InvalidDataException>(() => StateDictFile.Load(network, path));
            Assert.Contains($"Weights file '{path}': the weight '{key}' holds", error.Message);
            // The second file's infinity is written over the first's NaN.
            Assert.Contains(float.IsNaN(value) ? "holds 1 NaN and 0 infinite" : "holds 0 NaN and 1 infinite", error.Message);
            Assert.Contains("(the first at flat index 1)", error.Message);
        }
    }

    [Fact]
    public void Train_from_a_safetensors_file_with_a_nan_fails_before_training_naming_the_key_and_the_file()
    {
        string data = Path.Combine(_folder, "data");
        IdxFiles.WriteFashionMnist(data, trainCount: 16, testCount: 4);
        using var network = new GoogLeNetNetwork(CliNetwork);
        string key = Spoil(network, float.NaN);
        string weights = Path.Combine(_folder, "nan.safetensors");
        StateDictFile.Save(network, weights);
        string model = Path.Combine(_folder, "model.zip");

        var (exit, output) = CliRunner.Run("train", "--data", data, "--image-size", "32", "--width-divisor", "16", "--batch-size", "4",
            "--epochs", "1", "--no-validation", "--from", weights, "--model", model);
        // A bad input file, not a usage error: exit 1, as for an unreadable weights file (ErrorReporter).
        Assert.Equal(1, exit);
        Assert.Contains($"error: FineTuneFrom: Weights file '{weights}': the weight '{key}' holds 1 NaN", output);
        Assert.DoesNotContain("Training diverged", output);  // what the run said when the weights loaded
        Assert.DoesNotContain("unexpected error", output);
        Assert.False(File.Exists(model));
    }

    [Fact]
    public void A_checkpoints_tensors_with_an_infinity_are_refused_naming_the_tensor()
    {
        using var finite = tensor(new[] { 1f, 2f, 3f });
        using var spoiled = tensor(new[] { 1f, float.NegativeInfinity, float.NaN, 4f });
        using var steps = tensor(new[] { 7L });
        using var stream = new MemoryStream();
        TensorArchive.Write(stream, [("b1.0.weight", finite), ("optimizer.exp_avg.3", spoiled), ("steps", steps)]);

        stream.Position = 0;
        var error = Assert.Throws<InvalidDataException>(() => TensorArchive.Read(stream, "'run/epoch-3.ckpt'", stream.Length));
        Assert.Contains("'run/epoch-3.ckpt': the weight 'optimizer.exp_avg.3' holds 1 NaN and 1 infinite value(s) among its 4 (the first at flat index 1)", error.Message);

        using var clean = new MemoryStream();
        TensorArchive.Write(clean, [("b1.0.weight", finite), ("steps", steps)]);
        clean.Position = 0;
        var read = TensorArchive.Read(clean, "clean", clean.Length);
        Assert.Equal([1f, 2f, 3f], read["b1.0.weight"].data<float>().ToArray());
        foreach (var tensor in read.Values)
            tensor.Dispose();
    }

    [Fact]
    public void A_model_zip_whose_onnx_weights_hold_a_nan_is_refused_for_fine_tuning_naming_the_initializer()
    {
        var configuration = new GoogLeNetConfiguration(InputChannels: 1, ClassCount: 3, ImageHeight: 32, ImageWidth: 32, WidthDivisor: 16);
        var (model, input) = NetworkZips.Transformer(NetworkZips.Perturbed(configuration, seed: 2), ["a", "b", "c"]);
        using (model)
        {
            string good = Path.Combine(_folder, "good.zip");
            NetworkZips.Save(model, input, good);
            using (ModelFile.ImportNetwork(good).Network)
            {
            }

            string key = Spoil(model.Network, float.NaN);
            string path = Path.Combine(_folder, "nan.zip");
            NetworkZips.Save(model, input, path);
            var error = Assert.Throws<InvalidDataException>(() => ModelFile.ImportNetwork(path));
            Assert.Contains(path, error.Message);
            Assert.Contains($"the weight '{key}' holds 1 NaN and 0 infinite", error.Message);
        }
    }
}
