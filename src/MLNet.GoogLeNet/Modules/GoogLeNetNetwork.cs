using System.Globalization;
using MLNet.GoogLeNet.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// The network of every architecture the library builds (<see cref="ArchitectureTable"/>), named after the first:
/// GoogLeNet (Inception v1, Szegedy et al. 2015) as the Dive into Deep Learning recipe builds it: five blocks,
/// global average pooling and one dense layer with an output per class; with
/// <see cref="NetworkArchitecture.GoogLeNetBatchNorm"/>, the same channel table with batch normalisation after every
/// convolution; with <see cref="NetworkArchitecture.InceptionV3"/> and <see cref="NetworkArchitecture.InceptionResNet"/>,
/// its successors, built from the same five stages; with <see cref="NetworkArchitecture.GoogLeNetTorchvision"/>,
/// torchvision's GoogLeNet module for module, under torchvision's names (docs/architectures.md). Input (N, C, H, W)
/// planar floats; output (N, classes) logits.
/// </summary>
/// <remarks>
/// <see cref="Stages"/> is the one description of the network: <see cref="forward"/>, the shape trace and the ONNX
/// exporter all walk it. It is a backbone (<see cref="Backbone"/>) and a classifier head (<see cref="Head"/>).
/// </remarks>
public sealed class GoogLeNetNetwork : Module<Tensor, Tensor>, IOnnxModule
{
    // The backbone's modules and the head, registered under their names: those names are the state-dict keys
    // ("b3.0.path2.conv.conv.weight", "dense.weight"; "inception3a.branch2.1.bn.running_var", "fc.weight").
    private readonly (string Name, Module<Tensor, Tensor> Module)[] backbone;
    private readonly string headName;
    private readonly Linear head;
    // Only when trained (GoogLeNetTrainerOptions.TrainAuxiliaryClassifiers): each with where it reads the backbone.
    private readonly (AuxiliaryClassifierPlace Place, Module<Tensor, Tensor> Module)[] auxiliary;

    /// <summary>Builds the network and initialises it as the recipe does (Xavier uniform weights, zero biases).</summary>
    /// <param name="configuration">Architecture, input shape, class count and width divisor.</param>
    /// <param name="seed">Seed of the initial weights; the same seed gives the same network.</param>
    /// <param name="initialization">Weight initialisation; the recipe's Xavier by default.</param>
    /// <exception cref="ArgumentException">The configuration is invalid; the message names the parameter.</exception>
    public GoogLeNetNetwork(
        GoogLeNetConfiguration configuration, long seed = 0, WeightInitialization initialization = WeightInitialization.Xavier)
        : this(configuration, seed, initialization, auxiliaryClassifiers: false)
    {
    }

    /// <summary>
    /// Builds the network, with <paramref name="auxiliaryClassifiers"/> the architecture's auxiliary classifiers too
    /// (<see cref="ArchitectureEntry.AuxiliaryClassifiers"/>), registered after the head so that every other weight starts
    /// as without them. Only <see cref="ForwardWithAuxiliary"/> runs them.
    /// </summary>
    /// <exception cref="ArgumentException">The configuration is invalid, or the architecture has no auxiliary classifiers.</exception>
    internal GoogLeNetNetwork(GoogLeNetConfiguration configuration, long seed, WeightInitialization initialization, bool auxiliaryClassifiers)
        : base("GoogLeNet")
    {
        ArgumentNullException.ThrowIfNull(configuration);
        configuration.Validate();
        Configuration = configuration;
        // TorchSharp's layers initialise themselves from torch's global generator as they are made (the seeded
        // initialisation below then replaces those values): its state is put back, so building a network leaves the
        // caller's random numbers as they were.
        var generatorState = Generator.Default.get_state();
        try
        {
            var entry = ArchitectureTable.Of(configuration.Architecture);
            var stages = entry.BuildStages(configuration);
            backbone = [.. stages.Backbone];
            headName = entry.HeadName;
            head = Linear(stages.OutputChannels, configuration.ClassCount);  // one output per class
            if (auxiliaryClassifiers && stages.AuxiliaryInputs.Count == 0)
                throw new ArgumentException($"The {configuration.Architecture} network has no auxiliary classifiers.", nameof(auxiliaryClassifiers));
            if (auxiliaryClassifiers)
                RequireAuxiliaryImageSize(configuration);
            auxiliary = auxiliaryClassifiers
                ? [.. stages.AuxiliaryInputs.Select(a => (a.Place, a.Place.Build(a.InputChannels, configuration)))]
                : [];
        }
        finally
        {
            Generator.Default.set_state(generatorState);
            generatorState.Dispose();
        }
        foreach (var (name, module) in backbone)
            register_module(name, module);
        register_module(headName, head);
        foreach (var (place, module) in auxiliary)
            register_module(place.Name, module);
        Initialize(seed, initialization);
    }

    /// <summary>Refuses an image smaller than the architecture's auxiliary classifiers take (<see cref="ArchitectureEntry.AuxiliaryMinimumImageSize"/>).</summary>
    /// <exception cref="ArgumentException">The image is smaller; the message names both sizes.</exception>
    internal static void RequireAuxiliaryImageSize(GoogLeNetConfiguration configuration)
    {
        int smallest = ArchitectureTable.Of(configuration.Architecture).AuxiliaryMinimumImageSize;
        if (Math.Min(configuration.ImageHeight, configuration.ImageWidth) < smallest)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The auxiliary classifiers of {configuration.Architecture} need images of at least {smallest}×{smallest} pixels; " +
                $"got {configuration.ImageHeight}×{configuration.ImageWidth}."), nameof(configuration));
    }

    /// <summary>The configuration the network was built from.</summary>
    public GoogLeNetConfiguration Configuration { get; }

    /// <summary>
    /// The modules in order, with their names (the state-dict prefixes and the names the shape trace prints): the
    /// backbone (<see cref="NetworkStages"/>; for the recipe's GoogLeNet b1 … b5 leave 64, 192, 480, 832 and 1024
    /// channels, divided by the width divisor, at a quarter, an eighth, a sixteenth, a thirty-second of the input's
    /// height and width, then 1×1), then the head, (N, classes).
    /// </summary>
    private (string Name, Module<Tensor, Tensor> Stage)[] Stages => [.. backbone, (headName, head)];

    /// <summary>The classifier head's layer: the dense layer whose outputs are the classes, reading <see cref="Backbone"/>.</summary>
    internal Linear HeadLayer => head;

    /// <summary>
    /// Whether the state-dict entry <paramref name="name"/> belongs to the classifier head (<see cref="HeadLayer"/>, whose
    /// outputs are the classes: <c>dense.*</c>, or <c>fc.*</c> in the torchvision GoogLeNet) rather than to the
    /// backbone before it.
    /// </summary>
    internal bool IsHead(string name) => name.StartsWith(headName + ".", StringComparison.Ordinal);

    /// <summary>Whether the network holds its architecture's auxiliary classifiers (trained only, never scored with).</summary>
    internal bool HasAuxiliaryClassifiers => auxiliary.Length > 0;

    /// <summary>
    /// Whether the state-dict entry <paramref name="name"/> belongs to an auxiliary classifier this network holds (the
    /// architecture's rule, <see cref="ArchitectureEntry.IsAuxiliary"/>).
    /// </summary>
    internal bool IsAuxiliary(string name) =>
        HasAuxiliaryClassifiers && ArchitectureTable.Of(Configuration.Architecture).IsAuxiliary(name);

    /// <summary>
    /// Whether the state-dict entry <paramref name="name"/> is of a layer whose outputs are the classes: the head, or an
    /// auxiliary classifier's last layer (<see cref="AuxiliaryClassifierPlace.ClassLayerName"/>). Fine-tuning on other
    /// classes starts these anew.
    /// </summary>
    internal bool IsClassLayer(string name) =>
        IsHead(name) || auxiliary.Any(a => name.StartsWith($"{a.Place.Name}.{a.Place.ClassLayerName}.", StringComparison.Ordinal));

    /// <summary>The last layers of the auxiliary classifiers this network holds, in words ("fc2"): what a new class count replaces.</summary>
    internal string AuxiliaryClassLayers => string.Join(" and ", auxiliary.Select(a => a.Place.ClassLayerName).Distinct());

    /// <summary>Length of the feature vector <see cref="Backbone"/> gives each image and <see cref="Head"/> takes.</summary>
    internal int FeatureLength => (int)head.in_features;

    /// <summary>
    /// Images <see cref="Backbone"/> has computed features of since the network was built (scoring and training count
    /// too): the frozen-backbone mode's promise, each image through the backbone once, is checked against it.
    /// </summary>
    internal long BackboneImages => Interlocked.Read(ref _backboneImages);

    private long _backboneImages;

    /// <summary>
    /// Runs every module before the classifier head: (N, C, H, W) images to (N, <see cref="FeatureLength"/>) features.
    /// In training mode it includes the architecture's dropout before the head, if it has one; <see cref="forward"/> is
    /// <see cref="Head"/> of this.
    /// </summary>
    internal Tensor Backbone(Tensor input) => RunBackbone(input, auxiliaryLogits: null);

    /// <summary>
    /// The pass through the backbone's stages; given <paramref name="auxiliaryLogits"/>, each auxiliary classifier's
    /// logits are added to it as the output of the stage it follows passes by (in the order of <c>auxiliary</c>).
    /// </summary>
    private Tensor RunBackbone(Tensor input, List<Tensor>? auxiliaryLogits)
    {
        Interlocked.Add(ref _backboneImages, input.shape[0]);
        using var scope = NewDisposeScope();
        var x = input;
        foreach (var (name, stage) in backbone)
        {
            x = stage.call(x);
            if (auxiliaryLogits is null)
                continue;
            foreach (var (place, classifier) in auxiliary)
            {
                if (place.After == name)
                    auxiliaryLogits.Add(classifier.call(x).MoveToOuterDisposeScope());
            }
        }
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Runs the classifier head alone: (N, <see cref="FeatureLength"/>) features to (N, classes) logits.</summary>
    internal Tensor Head(Tensor features) => head.call(features);

    /// <summary>The state-dict name of the classifier head's weight, of shape (classes, features), in a network of <paramref name="architecture"/>.</summary>
    internal static string HeadWeightName(NetworkArchitecture architecture) => ArchitectureTable.Of(architecture).HeadName + ".weight";

    /// <summary>Number of trainable values (weights and biases).</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>True when every convolution weight is laid out channels-last (see <see cref="UseChannelsLast"/>).</summary>
    public bool IsChannelsLast => Convolutions().All(conv => ConvolutionLayout.IsChannelsLast(conv.weight));

    /// <summary>
    /// Lays out every convolution weight channels-last (memory order N, H, W, C; the shape stays N, C, H, W) or, with
    /// false, back in the standard contiguous order. libtorch's oneDNN and cuDNN convolutions follow the weights'
    /// layout, so the activations of the whole network become channels-last too: the faster layout for training and
    /// scoring here (docs/performance.md). On a CPU the convolutions run channels-last even with standard weights, at
    /// the cost of a copy of each convolution's input (<see cref="ConvolutionLayout"/> says why). Values, names and
    /// shapes of the parameters do not change, but the weight <see cref="TorchSharp.Modules.Parameter"/> objects are
    /// replaced: create optimisers after calling this.
    /// </summary>
    public void UseChannelsLast(bool channelsLast)
    {
        foreach (var unit in modules().OfType<ConvUnit>())
            unit.UseChannelsLast(channelsLast);
    }

    /// <summary>
    /// Seeds the masks of the network's dropout (<see cref="SeededDropout"/>, the auxiliary classifiers' included) for
    /// the next training step: each dropout module from <paramref name="seed"/> and its place in the network, on
    /// <paramref name="device"/>, the network's. A network without dropout has nothing to seed.
    /// </summary>
    internal void ReseedDropout(ulong seed, Device device)
    {
        _dropouts ??= modules().OfType<SeededDropout>().ToArray();
        for (int place = 0; place < _dropouts.Length; place++)
            _dropouts[place].Reseed(seed + (ulong)place * 0x9E3779B97F4A7C15UL, device);  // 2^64 / golden ratio: far-apart seeds
    }

    private SeededDropout[]? _dropouts;

    private IEnumerable<Conv2d> Convolutions() => modules().OfType<ConvUnit>().Select(unit => unit.Convolution);

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return Head(Backbone(input)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The forward pass of training with auxiliary classifiers: the logits of <see cref="forward"/> and those of each
    /// auxiliary classifier (in <see cref="ArchitectureEntry.AuxiliaryClassifiers"/>'s order), each (N, classes), from
    /// the same pass through the backbone. Without auxiliary classifiers the second list is empty.
    /// </summary>
    internal (Tensor Logits, IReadOnlyList<Tensor> Auxiliary) ForwardWithAuxiliary(Tensor input)
    {
        using var scope = NewDisposeScope();
        var auxiliaryLogits = new List<Tensor>();
        var logits = head.call(RunBackbone(input, auxiliaryLogits)).MoveToOuterDisposeScope();
        return (logits, [.. auxiliaryLogits.Select(t => t.MoveToOuterDisposeScope())]);
    }

    /// <summary>
    /// A network of the same configuration without the auxiliary classifiers, holding this one's other weights, on the
    /// same device: the network a trained model scores with and is saved from. This one is left as it is.
    /// </summary>
    internal GoogLeNetNetwork WithoutAuxiliaryClassifiers()
    {
        var device = parameters().First().device;
        var trunk = new GoogLeNetNetwork(Configuration);
        try
        {
            trunk.to(device);
            var source = state_dict();
            using var noGrad = no_grad();
            foreach (var (name, tensor) in trunk.state_dict())
                tensor.copy_(source[name]);
            trunk.train(training);
            return trunk;
        }
        catch
        {
            trunk.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The last feature map before global average pooling, (N, C5, H/32, W/32): the output of the last Inception
    /// stage, where Grad-CAM looks. Every architecture's backbone holds one <see cref="TorchSharp.Modules.AdaptiveAvgPool2d"/>, at its top
    /// level (torchvision's <c>avgpool</c>) or inside its last stage (b5, <see cref="NetworkStages"/>); the map is what
    /// enters it. <see cref="HeadFromFeatureMap"/> finishes the forward pass from it.
    /// </summary>
    internal Tensor LastFeatureMap(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input;
        foreach (var layer in SplitAtGlobalPooling().Before)
            x = layer.call(x);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>The logits from <see cref="LastFeatureMap"/>'s output: global pooling, what follows it, then the head.</summary>
    internal Tensor HeadFromFeatureMap(Tensor featureMap)
    {
        using var scope = NewDisposeScope();
        var x = featureMap;
        foreach (var layer in SplitAtGlobalPooling().FromPooling)
            x = layer.call(x);
        return head.call(x).MoveToOuterDisposeScope();
    }

    /// <summary>The backbone's layers in order, the stage that holds global pooling opened up, split where the pooling starts.</summary>
    private (List<Module<Tensor, Tensor>> Before, List<Module<Tensor, Tensor>> FromPooling) SplitAtGlobalPooling()
    {
        var layers = new List<Module<Tensor, Tensor>>();
        foreach (var (_, module) in backbone)
        {
            if (module is Sequential stage && stage.children().Any(child => child is AdaptiveAvgPool2d))
                layers.AddRange(stage.children().Cast<Module<Tensor, Tensor>>());
            else
                layers.Add(module);
        }
        int pooling = layers.FindIndex(layer => layer is AdaptiveAvgPool2d);
        if (pooling < 0)
            throw new InvalidOperationException(
                $"The {Configuration.Architecture} network has no global average pooling, so it has no last feature map " +
                "to explain: its backbone must pool with AdaptiveAvgPool2d (NetworkStages).");
        return (layers[..pooling], layers[pooling..]);
    }

    /// <summary>The backbone's modules in order, as <see cref="Backbone"/> runs them in scoring mode: (N, C, H, W) → (N, <see cref="FeatureLength"/>).</summary>
    internal string EmitBackbone(OnnxScope scope, string input, string? output) =>
        scope.Chain(backbone, input, output);

    /// <summary>The stages in order, as <see cref="forward"/> runs them.</summary>
    string IOnnxModule.EmitOnnx(OnnxScope scope, string input, string? output) =>
        scope.Chain(Stages, input, output);

    /// <summary>
    /// Runs a zero image of batch size <paramref name="batchSize"/> through the network and returns each stage's
    /// output shape, as the recipe prints them (b1 … b5, then the dense layer); flatten and dropout, which the recipe
    /// does not print, are left out.
    /// </summary>
    public IReadOnlyList<(string Stage, long[] Shape)> TraceShapes(int batchSize = 1)
    {
        var shapes = new List<(string, long[])>();
        var wasTraining = training;
        eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var device = parameters().First().device;
            var x = zeros([batchSize, Configuration.InputChannels, Configuration.ImageHeight, Configuration.ImageWidth], device: device);
            foreach (var (name, stage) in Stages)
            {
                x = stage.call(x);
                if (stage is not (TorchSharp.Modules.Flatten or TorchSharp.Modules.Dropout or SeededDropout))
                    shapes.Add((name, x.shape));
            }
        }
        finally
        {
            train(wasTraining);
        }
        return shapes;
    }

    /// <summary>Formats a shape trace line as the recipe prints it: "b1 output shape:\t (1, 64, 24, 24)".</summary>
    internal static string FormatTraceLine(string stage, long[] shape) =>
        $"{stage} output shape:\t ({string.Join(", ", shape)})";

    /// <summary>
    /// Initial weights for every convolution and the dense layer (uniform, see below), zero biases; batch normalisation
    /// starts as the identity (scale 1, shift 0).
    /// </summary>
    private void Initialize(long seed, WeightInitialization initialization)
    {
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)seed);
        foreach (var module in modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    FillUniform(conv.weight, initialization, generator);
                    conv.bias?.zero_();
                    break;
                case Linear linear:
                    FillUniform(linear.weight, initialization, generator);
                    linear.bias?.zero_();
                    break;
            }
        }
    }

    /// <summary>
    /// Fills <paramref name="weight"/> from U(−a, a). Xavier: a = √(6 / (fan_in + fan_out)), so that the variance is
    /// 2 / (fan_in + fan_out), Glorot and Bengio's rule, which MXNet's init.Xavier() applies in the recipe.
    /// Kaiming: a = √(6 / fan_in), variance 2 / fan_in, He et al.'s rule for ReLU networks.
    /// </summary>
    private static void FillUniform(Tensor weight, WeightInitialization initialization, Generator generator)
    {
        long receptive = 1;
        for (int d = 2; d < weight.dim(); d++) receptive *= weight.shape[d];
        long fanIn = weight.shape[1] * receptive;
        long fanOut = weight.shape[0] * receptive;
        double bound = initialization switch
        {
            WeightInitialization.Xavier => Math.Sqrt(6.0 / (fanIn + fanOut)),
            WeightInitialization.Kaiming => Math.Sqrt(6.0 / fanIn),
            _ => throw new ArgumentOutOfRangeException(nameof(initialization), initialization, "Unknown weight initialisation."),
        };
        using var sample = rand(weight.shape, dtype: weight.dtype, generator: generator);
        // Scalars held (and disposed) here: an implicitly converted one can be finalised while libtorch still reads it.
        using var width = (2 * bound).ToScalar();
        using var offset = bound.ToScalar();
        weight.copy_(sample.mul_(width).sub_(offset));
    }
}
