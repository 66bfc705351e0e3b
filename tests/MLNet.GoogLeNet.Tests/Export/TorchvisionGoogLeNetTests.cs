using System.Text.Json;
using Google.Protobuf;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MLNet.GoogLeNet.Export;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Tests.TestData;
using MLNet.GoogLeNet.Training;
using TorchSharp.PyBridge;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Export;

/// <summary>
/// The torchvision GoogLeNet (<see cref="NetworkArchitecture.GoogLeNetTorchvision"/>) against torchvision itself: state
/// dicts that Debian's python3-torchvision writes with random weights (with and without the auxiliary classifiers) load
/// strictly by <c>FineTuneFrom</c> and compute torchvision's logits in TorchSharp, in ONNX Runtime and after a model zip;
/// what the library exports loads strictly into torchvision; wrong and truncated files are refused naming what is wrong.
/// </summary>
public sealed class TorchvisionGoogLeNetTests(ITestOutputHelper output) : IDisposable
{
    private const int Classes = 5;
    private const int Size = 48;  // small, yet every ceil-mode pool rounds up (24 → 12 → 6 → 3 → 2)
    private static readonly string[] ClassNames = ["a", "b", "c", "d", "e"];
    private static readonly string Script = Path.Combine(RepositoryPaths.Root, "tests", "MLNet.GoogLeNet.Tests", "TestData", "torchvision_networks.py");
    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-torchvision-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static GoogLeNetConfiguration Torchvision(int classes = Classes) =>
        new(InputChannels: 3, ClassCount: classes, ImageHeight: Size, ImageWidth: Size, Architecture: NetworkArchitecture.GoogLeNetTorchvision);

    /// <summary>torchvision writes its two state dicts and what it computes from them into the test's folder.</summary>
    private void WriteFixtures()
    {
        var (code, stdout, stderr) = PythonInterpreter.Run(PythonInterpreter.With("torchvision")!,
            [Script, "write", "googlenet", _folder, Classes.ToString(System.Globalization.CultureInfo.InvariantCulture), Size.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.True(code == 0, stdout + stderr);
    }

    private string Weights(bool aux) => Path.Combine(_folder, $"googlenet-aux{(aux ? 1 : 0)}.pth");

    private string Expected => Path.Combine(_folder, "googlenet-expected.pt");

    private static Dictionary<string, Tensor> ReadExpected(string path) => StateDictFile.Read(path);

    private static float[] Values(Tensor tensor) => tensor.contiguous().data<float>().ToArray();

    private static void AssertSame(float[] expected, float[] actual, string what) => TorchvisionAgreement.AssertSame(expected, actual, what);

    [PythonModuleFact("torchvision", "python3-torchvision")]
    public void Torchvision_weights_load_strictly_and_compute_torchvision_logits_in_torchsharp_onnx_runtime_and_a_zip()
    {
        WriteFixtures();
        foreach (bool aux in new[] { true, false })
        {
            var expected = ReadExpected(Expected);
            using var input = expected["input"];
            float[] logits = Values(expected["logits"]);

            var network = new GoogLeNetNetwork(Torchvision(), seed: 3);
            var start = StartingWeights.CopyInto(network, Weights(aux), ClassNames);
            output.WriteLine(start.ToString());
            Assert.False(start.NewClassifierHead);
            Assert.Equal(Weights(aux), start.FineTunedFrom);
            if (aux)
                Assert.Contains("keys of aux1 and aux2, modules this network has no place for, were left out", start.ToString());
            else
                Assert.DoesNotContain("left out", start.ToString());

            network.eval();
            AssertSame(logits, NetworkZips.Logits(network, input), $"aux_logits={aux}: TorchSharp");

            var onnx = OnnxExporter.BuildModel(network, new OnnxExportOptions { IncludeSoftmax = false });
            using (var session = new InferenceSession(onnx.ToByteArray()))
                AssertSame(logits, OnnxExporterTests.Run(session, "input", input), $"aux_logits={aux}: ONNX Runtime");

            var (model, data) = NetworkZips.Transformer(network, ClassNames);
            using (model)
            {
                string zip = Path.Combine(_folder, $"aux{aux}.zip");
                NetworkZips.Save(model, data, zip);
                var imported = ModelFile.ImportNetwork(zip);
                using (imported.Network)
                {
                    Assert.Equal(NetworkArchitecture.GoogLeNetTorchvision, imported.Network.Configuration.Architecture);
                    AssertSame(logits, NetworkZips.Logits(imported.Network, input), $"aux_logits={aux}: the network rebuilt from the zip");
                }
            }
            foreach (var tensor in expected.Values) tensor.Dispose();
        }
    }

    /// <summary>
    /// The whole serving route: PNG files → the zip SaveForServing writes (ML.NET's image steps, then the network in
    /// ONNX Runtime) → probabilities, against torchvision's softmax for the same files after ToTensor and Normalize.
    /// </summary>
    [PythonModuleFact("torchvision", "python3-torchvision")]
    public void A_serving_zip_scores_png_files_as_torchvision_scores_them()
    {
        WriteFixtures();
        var network = new GoogLeNetNetwork(Torchvision(), seed: 3);
        StartingWeights.CopyInto(network, Weights(aux: false), ClassNames);
        var ml = new Microsoft.ML.MLContext(seed: 1);
        string zip = Path.Combine(_folder, "serving.zip");
        var (model, _) = NetworkZips.Transformer(network, ClassNames);
        using (model)
            ModelFile.SaveForServing(ml, model, zip);

        var expected = ReadExpected(Path.Combine(_folder, "googlenet-expected-images.pt"));
        using var logits = expected["logits"];
        float[] probabilities = Values(nn.functional.softmax(logits, 1));
        var files = Enumerable.Range(0, (int)logits.shape[0]).Select(i => new ImageFile { ImagePath = Path.Combine(_folder, $"googlenet-image-{i}.png") });
        var loaded = ModelFile.Load(ml, zip, out _);
        using var loadedChain = (IDisposable)loaded;  // the loaded chain deletes its temporary copy of the network when disposed
        var served = loaded.Transform(ml.Data.LoadFromEnumerable(files));
        float[] scores = served.GetColumn<float[]>(GoogLeNetColumns.Score).SelectMany(s => s).ToArray();
        Assert.Equal(probabilities.Length, scores.Length);
        float worst = probabilities.Zip(scores, (p, s) => Math.Abs(p - s)).Max();
        output.WriteLine($"largest difference of the probabilities: {worst:G3}");
        Assert.True(worst <= 1e-4f, $"probabilities differ by {worst:G3}");
        Assert.True(probabilities.Max() - probabilities.Min() > 0.1f, "torchvision's probabilities hardly vary");
    }

    private sealed class ImageFile
    {
        public string ImagePath { get; set; } = "";
    }

    [PythonModuleFact("torchvision", "python3-torchvision")]
    public void A_file_trained_on_other_classes_gives_its_backbone_and_a_new_head()
    {
        WriteFixtures();
        var expected = ReadExpected(Expected);
        using var network = new GoogLeNetNetwork(Torchvision(classes: 3), seed: 3);
        var start = StartingWeights.CopyInto(network, Weights(aux: true), ["x", "y", "z"]);
        Assert.True(start.NewClassifierHead);
        Assert.StartsWith($"Fine-tuning the weights of {Weights(aux: true)} with a new classifier head for 3 classes (the file's head has 5 outputs)", start.ToString());

        network.eval();
        using (no_grad())
        using (var scope = NewDisposeScope())
            AssertSame(Values(expected["features"]), Values(network.Backbone(expected["input"])), "features before the head");
        Assert.All(network.state_dict().Keys.Where(network.IsHead), key => Assert.StartsWith("fc.", key));
        foreach (var tensor in expected.Values) tensor.Dispose();
    }

    /// <summary>
    /// With TrainAuxiliaryClassifiers the file's aux1 and aux2 load bit for bit and compute torchvision's InceptionAux
    /// outputs (in scoring mode, on inception4a's and inception4d's outputs); for other classes their fc2 is new, as fc is.
    /// </summary>
    [PythonModuleFact("torchvision", "python3-torchvision")]
    public void With_auxiliary_classifiers_the_file_s_aux1_and_aux2_load_and_compute_torchvision_s_outputs()
    {
        WriteFixtures();
        var file = StateDictFile.Read(Weights(aux: true));
        var expected = ReadExpected(Expected);
        using var network = new GoogLeNetNetwork(Torchvision(), seed: 3, WeightInitialization.Xavier, auxiliaryClassifiers: true);
        var start = StartingWeights.CopyInto(network, Weights(aux: true), ClassNames);
        output.WriteLine(start.ToString());
        Assert.Equal($"Fine-tuning all the weights of {Weights(aux: true)}; 20 keys of aux1 and aux2 were loaded into the auxiliary classifiers.", start.ToString());
        var state = network.state_dict();
        var auxiliaryKeys = file.Keys.Where(k => k.StartsWith("aux", StringComparison.Ordinal)).ToList();
        Assert.Equal(20, auxiliaryKeys.Count);
        Assert.All(auxiliaryKeys, key => Assert.True(Same(state[key], file[key]), $"{key} differs from the file's"));

        network.eval();
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            var (logits, auxiliary) = network.ForwardWithAuxiliary(expected["input"]);
            AssertSame(Values(expected["logits"]), Values(logits), "main logits");
            AssertSpread(Values(expected["aux1"]), Values(auxiliary[0]), "aux1");
            AssertSpread(Values(expected["aux2"]), Values(auxiliary[1]), "aux2");
        }

        // Three classes: conv and fc1 of each are the file's, fc2 is the network's own, with three outputs.
        using var three = new GoogLeNetNetwork(Torchvision(classes: 3), seed: 3, WeightInitialization.Xavier, auxiliaryClassifiers: true);
        var initial = three.state_dict().ToDictionary(pair => pair.Key, pair => pair.Value.clone());
        start = StartingWeights.CopyInto(three, Weights(aux: true), ["x", "y", "z"]);
        output.WriteLine(start.ToString());
        Assert.EndsWith("; 16 keys of aux1 and aux2 were loaded into the auxiliary classifiers, their fc2 new for 3 classes.", start.ToString());
        var threeState = three.state_dict();
        foreach (var key in auxiliaryKeys)
        {
            if (key.Contains(".fc2.", StringComparison.Ordinal))
            {
                Assert.Equal(3, threeState[key].shape[0]);
                Assert.True(Same(threeState[key], initial[key]), $"{key} is not the network's own");
            }
            else
            {
                Assert.True(Same(threeState[key], file[key]), $"{key} differs from the file's");
            }
        }

        // A file without them (aux_logits=False): they start from the network's initial weights, and the log says so.
        using var fresh = new GoogLeNetNetwork(Torchvision(), seed: 3, WeightInitialization.Xavier, auxiliaryClassifiers: true);
        var freshInitial = fresh.state_dict().ToDictionary(pair => pair.Key, pair => pair.Value.clone());
        start = StartingWeights.CopyInto(fresh, Weights(aux: false), ClassNames);
        Assert.EndsWith("; the file has no aux1 or aux2 keys: the auxiliary classifiers start from initial weights.", start.ToString());
        Assert.All(auxiliaryKeys, key => Assert.True(Same(fresh.state_dict()[key], freshInitial[key]), key));

        foreach (var tensor in file.Values.Concat(expected.Values).Concat(initial.Values).Concat(freshInitial.Values)) tensor.Dispose();
    }

    private static bool Same(Tensor x, Tensor y) => x.shape.SequenceEqual(y.shape) && x.eq(y).all().item<bool>();

    /// <summary>Every difference within 1e-4, and the values spread over more than 0.5.</summary>
    private static void AssertSpread(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        float worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= 1e-4f, $"{what}: largest difference {worst:G3} exceeds 1e-4");
        Assert.True(expected.Max() - expected.Min() > 0.5f, $"{what}: torchvision's values hardly vary ({expected.Min()} … {expected.Max()})");
    }

    [PythonModuleFact("torchvision", "python3-torchvision")]
    public void The_exported_state_dict_loads_strictly_into_torchvision_and_gives_the_same_logits()
    {
        WriteFixtures();
        var network = new GoogLeNetNetwork(Torchvision(), seed: 3);
        StartingWeights.CopyInto(network, Weights(aux: false), ClassNames);
        var (model, data) = NetworkZips.Transformer(network, ClassNames);
        using (model)
        {
            string zip = Path.Combine(_folder, "model.zip");
            NetworkZips.Save(model, data, zip);
            string exported = Path.Combine(_folder, "exported.pt");
            var (exit, text) = CliRunner.Run("export", "--model", zip, "--state-dict", exported);
            Assert.True(exit == 0, text);

            // The keys are torchvision's own: no mapping table between the two.
            var keys = StateDictFile.Read(exported);
            Assert.Contains("inception3a.branch2.1.bn.running_var", keys.Keys);
            Assert.Contains("fc.weight", keys.Keys);
            foreach (var tensor in keys.Values) tensor.Dispose();

            var (code, stdout, stderr) = PythonInterpreter.Run(PythonInterpreter.With("torchvision")!,
                [Script, "check", "googlenet", exported, Expected, Classes.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            output.WriteLine(stdout);
            Assert.True(code == 0, stdout + stderr);
            using var result = JsonDocument.Parse(stdout);
            Assert.True(result.RootElement.GetProperty("max_abs_difference").GetDouble() <= 1e-4, stdout);
        }
    }

    [PythonModuleFact("torchvision", "python3-torchvision")]
    public void Truncated_and_mismatched_files_are_refused_naming_the_file_or_the_key()
    {
        WriteFixtures();
        using var network = new GoogLeNetNetwork(Torchvision(), seed: 3);

        string truncated = Path.Combine(_folder, "truncated.pth");
        byte[] bytes = File.ReadAllBytes(Weights(aux: true));
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        var unreadable = Assert.Throws<InvalidOperationException>(() => StartingWeights.CopyInto(network, truncated, ClassNames));
        Assert.StartsWith($"FineTuneFrom: Weights file '{truncated}' is not a readable PyTorch state_dict", unreadable.Message);

        string Altered(string name, Action<Dictionary<string, Tensor>> change)
        {
            var state = StateDictFile.Read(Weights(aux: true));
            change(state);
            string path = Path.Combine(_folder, name);
            using (var stream = File.Create(path))
                PyTorchPickler.PickleStateDict(stream, state);
            foreach (var tensor in state.Values) tensor.Dispose();
            return path;
        }

        // The paper's 5×5 where torchvision has 3×3: refused naming the key and both shapes.
        string fiveByFive = Altered("five-by-five.pth", state => state["inception4a.branch3.1.conv.weight"] = zeros(48, 16, 5, 5));
        var shape = Assert.Throws<InvalidOperationException>(() => StartingWeights.CopyInto(network, fiveByFive, ClassNames));
        Assert.Contains($"Weights file '{fiveByFive}': 'inception4a.branch3.1.conv.weight' has shape (48, 16, 5, 5); the network needs (48, 16, 3, 3)", shape.Message);

        string missing = Altered("missing.pth", state => state.Remove("conv1.bn.running_var"));
        var absent = Assert.Throws<InvalidOperationException>(() => StartingWeights.CopyInto(network, missing, ClassNames));
        Assert.Contains("1 of its weights are missing (conv1.bn.running_var)", absent.Message);

        string unexpected = Altered("unexpected.pth", state => state["inception6a.branch1.conv.weight"] = zeros(1));
        var extra = Assert.Throws<InvalidOperationException>(() => StartingWeights.CopyInto(network, unexpected, ClassNames));
        Assert.Contains("1 keys are not in the network (inception6a.branch1.conv.weight)", extra.Message);

        // The recipe's network is another network, even with the same class count: refused, not half-loaded, and the
        // refusal names the architecture the file was saved from and how to choose it (GlobalGeneratorTests: telling it
        // leaves torch's global generator as it was).
        using var recipe = new GoogLeNetNetwork(Torchvision() with { Architecture = NetworkArchitecture.GoogLeNetBatchNorm });
        var other = Assert.Throws<InvalidOperationException>(() => StartingWeights.CopyInto(recipe, Weights(aux: true), ClassNames));
        Assert.Equal($"FineTuneFrom: Weights file '{Weights(aux: true)}' holds a googlenet-torchvision network (its state-dict keys are those of " +
                     "NetworkArchitecture.GoogLeNetTorchvision), not the googlenet-bn being trained. Train the architecture it was saved from: " +
                     "Architecture = NetworkArchitecture.GoogLeNetTorchvision in the options, --architecture googlenet-torchvision on the command line.",
                     other.Message);

        // The other way round: a state dict of the batch-normalised recipe network given to the torchvision network.
        string recipeFile = Path.Combine(_folder, "recipe-bn.pth");
        StateDictFile.Save(recipe, recipeFile);
        var back = Assert.Throws<InvalidOperationException>(() => StartingWeights.CopyInto(network, recipeFile, ClassNames));
        Assert.Contains("holds a googlenet-bn network", back.Message);
        Assert.Contains("--architecture googlenet-bn on the command line", back.Message);
    }

    [PythonModuleFact("torchvision", "python3-torchvision")]
    public void Train_from_the_torchvision_file_says_what_it_left_out_or_trains_it_and_refuses_grayscale()
    {
        WriteFixtures();
        using var images = PatternImages.Create(trainPerClass: 4, testPerClass: 2, size: Size, classCount: 4);
        string model = Path.Combine(_folder, "trained.zip");
        string[] train = ["train", "--data", images.Root, "--architecture", "googlenet-torchvision", "--from", Weights(aux: true),
            "--image-size", Size.ToString(System.Globalization.CultureInfo.InvariantCulture), "--batch-size", "8", "--epochs", "1",
            "--no-validation", "--model", model];

        var (exit, text) = CliRunner.Run(train);
        Assert.True(exit == 0, text);
        Assert.Contains($"Fine-tuning the weights of {Weights(aux: true)} with a new classifier head for 4 classes (the file's head has 5 outputs); " +
                        "20 keys of aux1 and aux2, modules this network has no place for, were left out.", text);
        Assert.Contains($"GoogLeNetTorchvision at {Size}×{Size}", text);
        Assert.True(File.Exists(model));

        // With --aux-classifiers the file's aux1 and aux2 train too (their fc2 new for the 4 classes); the model is the same network.
        File.Delete(model);
        (exit, text) = CliRunner.Run([.. train, "--aux-classifiers"]);
        Assert.True(exit == 0, text);
        Assert.Contains("(the file's head has 5 outputs); 16 keys of aux1 and aux2 were loaded into the auxiliary classifiers, their fc2 new for 4 classes.", text);
        Assert.Contains("auxiliary classifiers trained (loss weight 0.3 each)", text);
        var imported = ModelFile.ImportNetwork(model);
        using (imported.Network)
            Assert.DoesNotContain(imported.Network.state_dict().Keys, key => key.StartsWith("aux", StringComparison.Ordinal));

        // Without --architecture the file's keys choose it, and the log says so; the same weights in PyTorch's format
        // before 1.6, as torchvision's published GoogLeNet file is, train as the zip file does.
        File.Delete(model);
        string legacy = Path.Combine(_folder, "googlenet-legacy.pth");
        (exit, text) = CliRunner.Run([.. train.Where((_, i) => i is not (3 or 4)).Select(a => a == Weights(aux: true) ? legacy : a)]);
        Assert.True(exit == 0, text);
        Assert.Contains($"Fine-tuning the weights of {legacy} with a new classifier head for 4 classes", text);
        Assert.Contains("--from holds a googlenet-torchvision network: training with its architecture (--architecture would change it).", text);
        Assert.Contains($"GoogLeNetTorchvision at {Size}×{Size}", text);

        // The published weights are RGB: a grayscale network is another network, refused naming the weight and both shapes.
        (exit, text) = CliRunner.Run([.. train, "--channels", "1"]);
        Assert.NotEqual(0, exit);
        Assert.Contains("'conv1.conv.weight' has shape (64, 3, 7, 7); the network needs (64, 1, 7, 7)", text);
    }

    [Fact]
    public void Train_takes_the_architecture_s_own_image_size_and_channels_unless_told()
    {
        var torchvision = new MLNet.GoogLeNet.Cli.Commands.TrainSettings { Architecture = "googlenet-torchvision" };
        Assert.Equal((224, 3), (torchvision.EffectiveImageSize, torchvision.EffectiveChannels));
        var told = new MLNet.GoogLeNet.Cli.Commands.TrainSettings { Architecture = "googlenet-torchvision", ImageSize = 64, Channels = 1 };
        Assert.Equal((64, 1), (told.EffectiveImageSize, told.EffectiveChannels));
        var recipe = new MLNet.GoogLeNet.Cli.Commands.TrainSettings();
        Assert.Equal((GoogLeNetConfiguration.RecipeImageSize, (int?)null), (recipe.EffectiveImageSize, recipe.EffectiveChannels));
    }
}
