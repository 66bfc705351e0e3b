using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using MLNet.GoogLeNet.Export;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Tests.TestData;
using MLNet.GoogLeNet.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Export;

/// <summary>
/// torchvision's Inception-v3 (<see cref="NetworkArchitecture.InceptionV3Torchvision"/>) against torchvision itself: a
/// state dict that Debian's python3-torchvision writes with random weights at 299×299 — with its auxiliary classifier,
/// without it, and in PyTorch's format before 1.6, as torchvision's published files are — loads by <c>FineTuneFrom</c>
/// and computes torchvision's logits and AuxLogits in TorchSharp, in ONNX Runtime and after a model zip; what the
/// library exports loads strictly into torchvision; the command line fine-tunes it with a new head and with a frozen
/// backbone, at the smallest size it takes.
/// </summary>
public sealed class TorchvisionInceptionV3Tests(TorchvisionInceptionV3Tests.Files files, ITestOutputHelper output)
    : IClassFixture<TorchvisionInceptionV3Tests.Files>
{
    private const int Classes = 5;
    private static readonly string[] ClassNames = ["a", "b", "c", "d", "e"];
    private const int Size = TorchvisionInceptionV3Stages.ImageSize;  // the auxiliary classifier's smallest

    /// <summary>
    /// torchvision's files, written once for the class on first use (the network is 24 million weights: writing them
    /// takes seconds), deleted after it.
    /// </summary>
    public sealed class Files : IDisposable
    {
        private readonly Lazy<string> _folder = new(() =>
        {
            string folder = Directory.CreateTempSubdirectory("inception-v3-torchvision-").FullName;
            var (code, stdout, stderr) = PythonInterpreter.Run(PythonInterpreter.With("torchvision")!,
                [Script, "write", "inception_v3", folder, Classes.ToString(CultureInfo.InvariantCulture), Size.ToString(CultureInfo.InvariantCulture)]);
            Assert.True(code == 0, stdout + stderr);
            return folder;
        });

        public static readonly string Script = System.IO.Path.Combine(RepositoryPaths.Root, "tests", "MLNet.GoogLeNet.Tests", "TestData", "torchvision_networks.py");

        public string Path(string name) => System.IO.Path.Combine(_folder.Value, name);

        public void Dispose()
        {
            if (_folder.IsValueCreated)
                Directory.Delete(_folder.Value, recursive: true);
        }
    }

    private string WithAuxiliary => files.Path("inception_v3-aux1.pth");
    private string WithoutAuxiliary => files.Path("inception_v3-aux0.pth");
    private string Legacy => files.Path("inception_v3-legacy.pth");

    private static GoogLeNetConfiguration Torchvision(int classes = Classes, int size = Size) =>
        new(InputChannels: 3, ClassCount: classes, ImageHeight: size, ImageWidth: size, Architecture: NetworkArchitecture.InceptionV3Torchvision);

    private static bool Same(Tensor x, Tensor y) => x.shape.SequenceEqual(y.shape) && x.dtype == y.dtype && x.eq(y).all().item<bool>();

    private static float[] Values(Tensor tensor) => tensor.contiguous().data<float>().ToArray();

    private void AssertSame(float[] expected, float[] actual, string what) =>
        output.WriteLine($"{what}: largest difference {TorchvisionAgreement.AssertSame(expected, actual, what):G3} of the largest value");

    [PythonModuleFact("torchvision", "python3-torchvision")]
    public void Torchvision_weights_of_either_format_compute_torchvision_s_logits_in_torchsharp_onnx_runtime_and_a_zip()
    {
        var expected = StateDictFile.Read(files.Path("inception_v3-expected.pt"));
        using var input = expected["input"];
        float[] logits = Values(expected["logits"]);

        foreach (string file in new[] { WithoutAuxiliary, Legacy })
        {
            using var network = new GoogLeNetNetwork(Torchvision(), seed: 3);
            var start = StartingWeights.CopyInto(network, file, ClassNames);
            output.WriteLine(start.ToString());
            Assert.False(start.NewClassifierHead);
            if (file == Legacy)
                Assert.EndsWith("; 14 keys of AuxLogits, modules this network has no place for, were left out.", start.ToString());
            else
                Assert.DoesNotContain("left out", start.ToString());
            network.eval();
            AssertSame(logits, NetworkZips.Logits(network, input), $"{Path.GetFileName(file)}: TorchSharp");
        }

        var scored = new GoogLeNetNetwork(Torchvision(), seed: 3);
        StartingWeights.CopyInto(scored, WithoutAuxiliary, ClassNames);
        scored.eval();
        var onnx = OnnxExporter.BuildModel(scored, new OnnxExportOptions { IncludeSoftmax = false });
        using (var session = new InferenceSession(onnx.ToByteArray()))
            AssertSame(logits, OnnxExporterTests.Run(session, "input", input), "ONNX Runtime");

        var (model, data) = NetworkZips.Transformer(scored, ClassNames);
        using (model)
        {
            string zip = files.Path("scored.zip");
            NetworkZips.Save(model, data, zip);
            var imported = ModelFile.ImportNetwork(zip);
            using (imported.Network)
            {
                Assert.Equal(NetworkArchitecture.InceptionV3Torchvision, imported.Network.Configuration.Architecture);
                AssertSame(logits, NetworkZips.Logits(imported.Network, input), "the network rebuilt from the zip");
            }
            File.Delete(zip);
        }
        foreach (var tensor in expected.Values) tensor.Dispose();
    }

    /// <summary>
    /// With TrainAuxiliaryClassifiers the file's AuxLogits loads bit for bit and computes torchvision's InceptionAux
    /// outputs on Mixed_6e's output (in scoring mode); below 299×299, where it cannot run, it is refused naming the size.
    /// </summary>
    [PythonModuleFact("torchvision", "python3-torchvision")]
    public void With_its_auxiliary_classifier_the_file_s_AuxLogits_computes_torchvision_s_outputs()
    {
        var expected = StateDictFile.Read(files.Path("inception_v3-expected.pt"));
        using var network = new GoogLeNetNetwork(Torchvision(), seed: 3, WeightInitialization.Xavier, auxiliaryClassifiers: true);
        var start = StartingWeights.CopyInto(network, WithAuxiliary, ClassNames);
        Assert.Equal($"Fine-tuning all the weights of {WithAuxiliary}; 14 keys of AuxLogits were loaded into the auxiliary classifiers.", start.ToString());
        network.eval();
        using (no_grad())
        using (NewDisposeScope())
        {
            var (logits, auxiliary) = network.ForwardWithAuxiliary(expected["input"]);
            AssertSame(Values(expected["logits"]), Values(logits), "main logits");
            AssertSame(Values(expected["AuxLogits"]), Values(auxiliary.Single()), "AuxLogits");
        }
        foreach (var tensor in expected.Values) tensor.Dispose();

        var small = Assert.Throws<ArgumentException>(() => new GoogLeNetNetwork(
            Torchvision(size: TorchvisionInceptionV3Stages.MinimumImageSize), seed: 3, WeightInitialization.Xavier, auxiliaryClassifiers: true));
        Assert.StartsWith("The auxiliary classifiers of InceptionV3Torchvision need images of at least 299×299 pixels; got 75×75.", small.Message);
    }

    [PythonModuleFact("torchvision", "python3-torchvision")]
    public void The_exported_state_dict_loads_strictly_into_torchvision_and_gives_the_same_logits()
    {
        var network = new GoogLeNetNetwork(Torchvision(), seed: 3);
        StartingWeights.CopyInto(network, WithoutAuxiliary, ClassNames);
        var (model, data) = NetworkZips.Transformer(network, ClassNames);
        using (model)
        {
            string zip = files.Path("export.zip");
            NetworkZips.Save(model, data, zip);
            string exported = files.Path("exported.pt");
            var (exit, text) = CliRunner.Run("export", "--model", zip, "--state-dict", exported);
            Assert.True(exit == 0, text);
            var (code, stdout, stderr) = PythonInterpreter.Run(PythonInterpreter.With("torchvision")!,
                [Files.Script, "check", "inception_v3", exported, files.Path("inception_v3-expected.pt"), Classes.ToString(CultureInfo.InvariantCulture)]);
            output.WriteLine(stdout);
            Assert.True(code == 0, stdout + stderr);
            using var result = JsonDocument.Parse(stdout);
            Assert.True(result.RootElement.GetProperty("max_abs_difference").GetDouble() <= 1e-4, stdout);
            File.Delete(zip);
            File.Delete(exported);
        }
    }

    /// <summary>
    /// The command line at 75×75, the smallest size the network takes: the file's keys choose the architecture; new
    /// classes get a new head; with --freeze-backbone the saved model's backbone is the file's, bit for bit; the
    /// auxiliary classifier is refused at this size before anything is built.
    /// </summary>
    [PythonModuleFact("torchvision", "python3-torchvision")]
    public void Train_fine_tunes_the_file_with_a_new_head_or_a_frozen_backbone_and_refuses_the_auxiliary_classifier_at_75()
    {
        const int small = TorchvisionInceptionV3Stages.MinimumImageSize;
        using var images = PatternImages.Create(trainPerClass: 4, testPerClass: 2, size: small, classCount: 4);
        string model = files.Path("trained.zip");
        string[] train = ["train", "--data", images.Root, "--from", Legacy, "--image-size", small.ToString(CultureInfo.InvariantCulture),
            "--batch-size", "8", "--epochs", "1", "--no-validation", "--model", model];

        var (exit, text) = CliRunner.Run(train);
        Assert.True(exit == 0, text);
        Assert.Contains("--from holds an inception-v3-torchvision network: training with its architecture (--architecture would change it).", text);
        Assert.Contains($"Fine-tuning the weights of {Legacy} with a new classifier head for 4 classes (the file's head has 5 outputs); " +
                        "14 keys of AuxLogits, modules this network has no place for, were left out.", text);
        Assert.Contains($"InceptionV3Torchvision at {small}×{small}", text);

        File.Delete(model);
        (exit, text) = CliRunner.Run([.. train, "--freeze-backbone"]);
        Assert.True(exit == 0, text);
        var file = StateDictFile.Read(Legacy);
        var imported = ModelFile.ImportNetwork(model);
        using (imported.Network)
        {
            var state = imported.Network.state_dict();
            var backbone = state.Keys.Where(key => !imported.Network.IsHead(key)).ToList();
            Assert.Equal(file.Keys.Where(key => !key.StartsWith("AuxLogits.", StringComparison.Ordinal) && !key.StartsWith("fc.", StringComparison.Ordinal)).Order(),
                backbone.Order());
            Assert.All(backbone, key => Assert.True(Same(state[key], file[key]), $"{key} is not the file's"));
            Assert.Equal(4, state["fc.weight"].shape[0]);
        }
        foreach (var tensor in file.Values) tensor.Dispose();

        File.Delete(model);
        (exit, text) = CliRunner.Run([.. train, "--aux-classifiers"]);
        Assert.NotEqual(0, exit);
        Assert.Contains("need images of at least 299×299", text);
        Assert.DoesNotContain("Mixed precision", text);
        Assert.False(File.Exists(model));
    }
}
