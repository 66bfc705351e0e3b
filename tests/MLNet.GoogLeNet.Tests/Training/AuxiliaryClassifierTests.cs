using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Export;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Tests.TestData;
using MLNet.GoogLeNet.Training;
using TorchSharp;
using TorchSharp.PyBridge;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Training;

/// <summary>
/// torchvision GoogLeNet's auxiliary classifiers (TrainAuxiliaryClassifiers, --aux-classifiers): they read inception4a
/// and inception4d, add 0.3 × their losses to the main one, train in Fit and move the trunk, are loaded from a
/// torchvision file (fc2 new for other classes) and compute torchvision's InceptionAux outputs; the fitted model, its
/// zip, its ONNX graph and its exported state dict are exactly those of a model trained without them; the option is
/// refused with another architecture and with FreezeBackbone.
/// </summary>
public sealed class AuxiliaryClassifierTests(AuxiliaryClassifierTests.TrainedPair trained, ITestOutputHelper output)
    : IClassFixture<AuxiliaryClassifierTests.TrainedPair>
{
    private const int Size = 32;
    private const int Seed = 7;

    private static GoogLeNetConfiguration Small(int classes = 3) =>
        new(InputChannels: 3, ClassCount: classes, ImageHeight: Size, ImageWidth: Size, WidthDivisor: 8,
            Architecture: NetworkArchitecture.GoogLeNetTorchvision);

    private static GoogLeNetTrainerOptions Options(bool aux, string? checkpoints = null) => new()
    {
        Architecture = NetworkArchitecture.GoogLeNetTorchvision, WidthDivisor = 8, ImageChannels = 3, Epochs = 1, BatchSize = 12,
        Seed = Seed, Augmentation = AugmentationKind.None, MixedPrecision = MixedPrecision.None, NumberOfThreads = 1,
        TrainAuxiliaryClassifiers = aux, CheckpointDirectory = checkpoints,
    };

    /// <summary>The pattern images as RGB planes in [0, 1], the layout the torchvision network reads.</summary>
    private static IEstimator<ITransformer> Rgb(MLContext ml) =>
        ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(ImageRow.ImagePath))
            .Append(ml.Transforms.ResizeImages("Image", Size, Size))
            .Append(ml.Transforms.ExtractPixels("Features", "Image", scaleImage: 1f / 255))
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"));

    /// <summary>
    /// One epoch on the same images from the same seed with the auxiliary classifiers and without; the run with them
    /// writes a checkpoint.
    /// </summary>
    public sealed class TrainedPair : IDisposable
    {
        public TrainedPair()
        {
            Data = new MLContext(seed: 1).Data.LoadFromEnumerable(Images.Train);
            With = Fit(Options(aux: true, checkpoints: Checkpoints));
            Without = Fit(Options(aux: false));
        }

        public PatternImages Images { get; } = PatternImages.Create(trainPerClass: 12, testPerClass: 0, size: Size, seed: 3, classCount: 3);
        public string Folder { get; } = Directory.CreateTempSubdirectory("googlenet-aux-").FullName;
        public string Checkpoints => Path.Combine(Folder, "checkpoints");
        public IDataView Data { get; }
        public ITransformer With { get; }
        public ITransformer Without { get; }

        private ITransformer Fit(GoogLeNetTrainerOptions options)
        {
            var ml = new MLContext(seed: 1);
            return Rgb(ml).Append(ml.MulticlassClassification.Trainers.GoogLeNet(ml, options)).Fit(Data);
        }

        public void Dispose()
        {
            foreach (var model in new[] { With, Without })
                GoogLeNetOf(model).Dispose();
            Images.Dispose();
            Directory.Delete(Folder, recursive: true);
        }
    }

    private static GoogLeNetTransformer GoogLeNetOf(ITransformer model) =>
        ((IEnumerable<ITransformer>)model).OfType<GoogLeNetTransformer>().Single();

    private static float[] Values(Tensor tensor) => tensor.detach().contiguous().data<float>().ToArray();

    private static bool Identical(Tensor x, Tensor y) => x.shape.SequenceEqual(y.shape) && x.dtype == y.dtype && x.detach().eq(y.detach()).all().item<bool>();

    [Fact]
    public void The_auxiliary_classifiers_read_inception4a_and_inception4d_and_add_three_tenths_of_their_losses()
    {
        using var network = new GoogLeNetNetwork(Small(), Seed, WeightInitialization.Kaiming, auxiliaryClassifiers: true);
        using var plain = new GoogLeNetNetwork(Small(), Seed, WeightInitialization.Kaiming);
        // Registered after the head, so every other weight starts as without them.
        var keys = network.state_dict();
        foreach (var (name, tensor) in plain.state_dict())
            Assert.True(Identical(tensor, keys[name]), name);
        var extra = keys.Keys.Except(plain.state_dict().Keys).Order(StringComparer.Ordinal).ToList();
        Assert.All(extra, key => Assert.True(key.StartsWith("aux1.", StringComparison.Ordinal) || key.StartsWith("aux2.", StringComparison.Ordinal), key));
        // torchvision's InceptionAux at width ÷ 8: 128 → 16 filters, fc1 16 × 4 × 4 → 1024 ÷ 8, fc2 to the classes.
        Assert.Equal([16L, 512 / 8, 1, 1], keys["aux1.conv.conv.weight"].shape);
        Assert.Equal([16L, 528 / 8, 1, 1], keys["aux2.conv.conv.weight"].shape);
        Assert.Equal([128L, 256], keys["aux1.fc1.weight"].shape);
        Assert.Equal([3L, 128], keys["aux2.fc2.weight"].shape);
        Assert.Contains("aux1.conv.bn.running_var", extra);

        // The step's loss, in scoring mode (no dropout, fixed statistics), against the three losses computed here.
        network.eval();
        using var scope = NewDisposeScope();
        var input = rand(new long[] { 6, 3, Size, Size }, generator: new Generator(5));
        var target = tensor(new long[] { 0, 1, 2, 0, 1, 2 });
        var options = Options(aux: true);
        var (logits, auxiliary) = network.ForwardWithAuxiliary(input);
        Assert.Equal(2, auxiliary.Count);
        Assert.True(Identical(logits, network.call(input)), "the main logits are the network's");
        float Loss(Tensor l) => nn.functional.cross_entropy(l, target, label_smoothing: options.LabelSmoothing).item<float>();
        float main = Loss(logits), expected = main + 0.3f * (Loss(auxiliary[0]) + Loss(auxiliary[1]));
        using (var step = new TrainingStep(network, options, DeviceType.CPU, MixedPrecision.None))
        {
            var (loss, _) = step.Run(input, target);
            output.WriteLine($"step loss {loss}, main {main}, main + 0.3 × aux {expected}");
            Assert.True(Math.Abs(loss - expected) < 1e-5f, $"step loss {loss}, expected {expected}");
            Assert.True(Math.Abs(expected - main) > 0.1f, "the auxiliary losses hardly count");
        }

        // One step from the same weights with and without them, in scoring mode so that no dropout draws differ: the
        // blocks up to inception4d, which they read, move differently; those after it move exactly alike.
        using var withStep = new GoogLeNetNetwork(Small(), Seed, WeightInitialization.Kaiming, auxiliaryClassifiers: true);
        using var withoutStep = new GoogLeNetNetwork(Small(), Seed, WeightInitialization.Kaiming);
        foreach (var (network1, aux) in new[] { (withStep, true), (withoutStep, false) })
        {
            network1.eval();
            using var step = new TrainingStep(network1, Options(aux), DeviceType.CPU, MixedPrecision.None);
            step.Run(input, target);
        }
        var moved = withStep.state_dict();
        var modules = withoutStep.state_dict()
            .GroupBy(pair => pair.Key[..pair.Key.IndexOf('.', StringComparison.Ordinal)])
            .ToDictionary(group => group.Key, group => group.Any(pair => !Identical(pair.Value, moved[pair.Key])));
        output.WriteLine(string.Join(", ", modules.Select(m => $"{m.Key} {(m.Value ? "differs" : "same")}")));
        string[] reached = ["conv1", "conv2", "conv3", "inception3a", "inception3b", "inception4a", "inception4b", "inception4c", "inception4d"];
        foreach (var (module, differs) in modules)
            Assert.True(differs == reached.Contains(module), $"{module}: {(differs ? "moved differently" : "moved alike")}");
    }

    [Fact]
    public void Fit_trains_the_auxiliary_classifiers_into_the_checkpoint_and_the_model_holds_none_of_them()
    {
        var with = GoogLeNetOf(trained.With).Network.state_dict();
        var without = GoogLeNetOf(trained.Without).Network.state_dict();
        Assert.Equal(without.Keys.Order(StringComparer.Ordinal), with.Keys.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(with.Keys, key => key.StartsWith("aux", StringComparison.Ordinal));

        // The checkpoint holds them, trained away from their initial weights.
        using var checkpoint = Checkpoint.Read(CheckpointFolder.Resolve(trained.Checkpoints));
        using var initial = new GoogLeNetNetwork(Small(), Seed, Options(aux: true).Initialization, auxiliaryClassifiers: true);
        var start = initial.state_dict();
        foreach (var key in new[] { "aux1.conv.conv.weight", "aux1.fc1.weight", "aux1.fc2.weight", "aux2.fc1.weight", "aux2.fc2.weight" })
        {
            var stored = checkpoint.Tensors[Checkpoint.NetworkPrefix + key];
            Assert.False(Identical(stored, start[key]), $"{key} did not train");
        }
    }

    [Fact]
    public void A_checkpoint_gives_them_its_own_a_zip_none_and_a_resume_without_the_option_is_refused()
    {
        using var checkpoint = Checkpoint.Read(CheckpointFolder.Resolve(trained.Checkpoints));
        var classes = checkpoint.Manifest.Classes;
        using var fromCheckpoint = new GoogLeNetNetwork(Small(), seed: 1, WeightInitialization.Kaiming, auxiliaryClassifiers: true);
        var start = StartingWeights.CopyInto(fromCheckpoint, trained.Checkpoints, classes);
        Assert.EndsWith("; the auxiliary classifiers start from the checkpoint's.", start.ToString());
        Assert.All(fromCheckpoint.state_dict(), pair =>
            Assert.True(Identical(pair.Value, checkpoint.Tensors[Checkpoint.NetworkPrefix + pair.Key]), pair.Key));

        string zip = Path.Combine(trained.Folder, "start.zip");
        ModelFile.Save(new MLContext(), trained.With, trained.Data.Schema, zip);
        using var fromZip = new GoogLeNetNetwork(Small(), seed: 1, WeightInitialization.Kaiming, auxiliaryClassifiers: true);
        var initial = fromZip.state_dict().Where(pair => fromZip.IsAuxiliary(pair.Key)).ToDictionary(pair => pair.Key, pair => pair.Value.clone());
        start = StartingWeights.CopyInto(fromZip, zip, classes);
        Assert.EndsWith("; the model has no auxiliary classifiers: they start from initial weights.", start.ToString());
        Assert.All(initial, pair => Assert.True(Identical(pair.Value, fromZip.state_dict()[pair.Key]), pair.Key));
        Assert.True(Identical(fromZip.state_dict()["fc.weight"], GoogLeNetOf(trained.With).Network.state_dict()["fc.weight"]));

        var resume = Options(aux: false);
        resume.ResumeFrom = trained.Checkpoints;
        var ml = new MLContext(seed: 1);
        var refused = Assert.Throws<InvalidOperationException>(() =>
            Rgb(ml).Append(ml.MulticlassClassification.Trainers.GoogLeNet(ml, resume)).Fit(trained.Data));
        output.WriteLine(refused.Message);
        Assert.StartsWith("Cannot resume from checkpoint", refused.Message);
        Assert.Contains(nameof(GoogLeNetTrainerOptions.TrainAuxiliaryClassifiers), refused.Message);
    }

    [Fact]
    public void The_zip_and_the_onnx_graph_of_a_model_trained_with_them_are_those_of_one_trained_without()
    {
        var with = GoogLeNetOf(trained.With);
        var without = GoogLeNetOf(trained.Without);
        var exportOptions = new OnnxExportOptions();
        var graph = OnnxExporter.BuildModel(with.Network, exportOptions).Graph;
        var plainGraph = OnnxExporter.BuildModel(without.Network, exportOptions).Graph;
        Assert.Equal(plainGraph.Input.Select(i => i.ToString()), graph.Input.Select(i => i.ToString()));
        Assert.Equal(plainGraph.Output.Select(o => o.ToString()), graph.Output.Select(o => o.ToString()));
        Assert.Equal(plainGraph.Initializer.Select(i => i.Name), graph.Initializer.Select(i => i.Name));
        Assert.Equal(plainGraph.Node.Select(n => n.OpType), graph.Node.Select(n => n.OpType));

        var ml = new MLContext(seed: 1);
        string zip = Path.Combine(trained.Folder, "with-aux.zip");
        ModelFile.Save(ml, trained.With, trained.Data.Schema, zip);
        float[] inMemory = trained.With.Transform(trained.Data).GetColumn<float[]>("Score").SelectMany(s => s).ToArray();
        var loaded = ModelFile.Load(ml, zip, out _);
        using var loadedChain = (IDisposable)loaded;  // the loaded chain deletes its temporary copy of the network when disposed
        float[] fromZip = loaded.Transform(trained.Data).GetColumn<float[]>("Score").SelectMany(s => s).ToArray();
        Assert.Equal(inMemory.Length, fromZip.Length);
        float worst = inMemory.Zip(fromZip, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"largest difference of the zip's scores from the transformer's: {worst:G3}");
        Assert.True(worst <= 1e-4f, $"scores differ by {worst:G3}");
        Assert.True(inMemory.Max() - inMemory.Min() > 0.1f, "the scores hardly vary");
    }

    [PythonModuleFact("torchvision", "python3-torchvision")]
    public void The_exported_state_dict_of_a_model_trained_with_them_loads_strictly_into_torchvision_without_them()
    {
        // torchvision's own widths (no divisor): one step on six images, enough for every weight to have trained.
        var ml = new MLContext(seed: 1);
        using var images = PatternImages.Create(trainPerClass: 2, testPerClass: 0, size: Size, seed: 4, classCount: 3);
        var data = ml.Data.LoadFromEnumerable(images.Train);
        var options = Options(aux: true);
        options.WidthDivisor = 1;
        options.BatchSize = 6;
        var model = Rgb(ml).Append(ml.MulticlassClassification.Trainers.GoogLeNet(ml, options)).Fit(data);
        using var network = GoogLeNetOf(model);
        string zip = Path.Combine(trained.Folder, "export.zip");
        ModelFile.Save(ml, model, data.Schema, zip);
        string exported = Path.Combine(trained.Folder, "exported.pt");
        var (exit, text) = CliRunner.Run("export", "--model", zip, "--state-dict", exported);
        Assert.True(exit == 0, text);

        string input = Path.Combine(trained.Folder, "input.pt");
        string logitsFile = Path.Combine(trained.Folder, "logits.pt");
        using var pixels = rand(new long[] { 4, 3, Size, Size }, generator: new Generator(11));
        using (var stream = File.Create(input))
            PyTorchPickler.PickleStateDict(stream, new Dictionary<string, Tensor> { ["input"] = pixels });
        // The script loads the file with strict=True into googlenet(num_classes=3, aux_logits=False, transform_input=True).
        var (code, stdout, stderr) = PythonInterpreter.Run(PythonInterpreter.With("torchvision")!,
            [Path.Combine(RepositoryPaths.Root, "tests", "MLNet.GoogLeNet.Tests", "TestData", "torchvision_networks.py"),
             "logits", "googlenet", exported, input, "3", logitsFile]);
        Assert.True(code == 0, stdout + stderr);

        var torchvision = StateDictFile.Read(logitsFile);
        float[] expected = Values(torchvision["logits"]);
        float[] actual = NetworkZips.Logits(network.Network, pixels);
        float worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        output.WriteLine($"largest difference from torchvision's logits: {worst:G3}");
        Assert.True(worst <= 1e-4f, $"logits differ by {worst:G3}");
        Assert.True(expected.Max() - expected.Min() > 0.01f, "torchvision's logits hardly vary");
        foreach (var tensor in torchvision.Values) tensor.Dispose();
    }

    [Fact]
    public void The_option_is_refused_with_another_architecture_and_with_a_frozen_backbone()
    {
        var bn = new GoogLeNetTrainerOptions { TrainAuxiliaryClassifiers = true }.FindProblem();
        Assert.Equal(nameof(GoogLeNetTrainerOptions.TrainAuxiliaryClassifiers), bn?.Option);
        Assert.Contains("GoogLeNetBatchNorm has none", bn?.Rule);
        var frozen = new GoogLeNetTrainerOptions
        {
            Architecture = NetworkArchitecture.GoogLeNetTorchvision, TrainAuxiliaryClassifiers = true, FineTuneFrom = "a.pth", FreezeBackbone = true,
        }.FindProblem();
        Assert.Equal(nameof(GoogLeNetTrainerOptions.TrainAuxiliaryClassifiers), frozen?.Option);
        Assert.Contains("cannot be combined with FreezeBackbone", frozen?.Rule);
        Assert.Null(new GoogLeNetTrainerOptions { Architecture = NetworkArchitecture.GoogLeNetTorchvision, TrainAuxiliaryClassifiers = true }.FindProblem());
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            new GoogLeNetTrainer(new MLContext(), new GoogLeNetTrainerOptions { TrainAuxiliaryClassifiers = true }));

        string model = Path.Combine(trained.Folder, "refused.zip");
        string[] train = ["train", "--data", trained.Images.Root, "--image-size", "32", "--width-divisor", "8", "--epochs", "1",
            "--model", model, "--aux-classifiers"];
        var (exit, text) = CliRunner.Run([.. train, "--architecture", "googlenet-bn"]);
        output.WriteLine(text);
        Assert.Equal(2, exit);
        Assert.Contains("--aux-classifiers needs an architecture with auxiliary classifiers (GoogLeNetTorchvision, 'googlenet-torchvision' on the command line or InceptionV3Torchvision, 'inception-v3-torchvision' on the command line); GoogLeNetBatchNorm has none", text);

        (exit, text) = CliRunner.Run([.. train, "--architecture", "googlenet-torchvision", "--from", trained.Checkpoints, "--freeze-backbone"]);
        Assert.Equal(2, exit);
        Assert.Contains("--aux-classifiers cannot be combined with FreezeBackbone", text);
        Assert.False(File.Exists(model));
    }
}
