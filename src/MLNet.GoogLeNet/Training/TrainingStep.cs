using MLNet.GoogLeNet.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Training;

/// <summary>
/// One optimiser step on a batch already on the device: zero the gradients, forward pass and label-smoothed
/// cross-entropy (under autocast when asked), backward pass, optional gradient-norm clipping, optimiser step, and the
/// loss and number correct read back. The trainer's loop and the benchmark's compute phase run this same step.
/// </summary>
internal sealed class TrainingStep : IDisposable
{
    private readonly GoogLeNetNetwork _network;
    private readonly DeviceType _device;
    private readonly MixedPrecision _precision;
    private readonly double _labelSmoothing;
    private readonly double? _clipNorm;

    /// <summary>A step for <paramref name="network"/>, with an optimiser made from <paramref name="options"/>.</summary>
    /// <remarks>Make it after the network's layout is set (<see cref="GoogLeNetNetwork.UseChannelsLast"/>), which replaces the parameters.</remarks>
    public TrainingStep(GoogLeNetNetwork network, GoogLeNetTrainerOptions options, DeviceType device, MixedPrecision precision)
    {
        _network = network;
        _device = device;
        _precision = precision;
        _labelSmoothing = options.LabelSmoothing;
        _clipNorm = options.GradientClipNorm;
        Optimizer = CreateOptimizer(network, options);
    }

    public optim.Optimizer Optimizer { get; }

    /// <summary>Sets the learning rate of the next steps.</summary>
    public void SetLearningRate(double rate)
    {
        foreach (var group in Optimizer.ParamGroups)
            group.LearningRate = rate;
    }

    /// <summary>
    /// Trains on one batch and returns its mean loss and the number of images classified correctly (before the
    /// update). When the loss is not finite, nothing is updated and the loss is returned for the caller to report.
    /// </summary>
    public (float Loss, long Correct) Run(Tensor input, Tensor target)
    {
        using var scope = NewDisposeScope();
        Optimizer.zero_grad();
        Tensor logits, loss;
        using (AutocastRegion.Enter(_device, _precision))
        {
            logits = _network.call(input);
            loss = nn.functional.cross_entropy(logits, target, label_smoothing: _labelSmoothing);  // autocast computes the loss in fp32
        }
        float value = loss.item<float>();
        if (!float.IsFinite(value))
            return (value, 0);
        loss.backward();
        if (_clipNorm is { } maxNorm)
            nn.utils.clip_grad_norm_(_network.parameters(), maxNorm);
        Optimizer.step();
        long correct = logits.argmax(1).eq(target).sum().item<long>();
        return (value, correct);
    }

    /// <summary>
    /// The optimiser of <paramref name="options"/> over two parameter groups: the weights of convolutions and the dense
    /// layer with <see cref="GoogLeNetTrainerOptions.WeightDecay"/>, and every one-dimensional parameter (biases,
    /// normalisation scales and shifts) without, since decaying those only pulls the layers' offsets and gains to zero.
    /// </summary>
    internal static optim.Optimizer CreateOptimizer(GoogLeNetNetwork network, GoogLeNetTrainerOptions options)
    {
        var (decayed, notDecayed) = WeightDecayGroups(network);
        double rate = options.LearningRate, decay = options.WeightDecay;
        return options.Optimizer switch
        {
            OptimizerKind.Sgd => optim.SGD(
                [
                    new SGD.ParamGroup(decayed, rate, options.Momentum, weight_decay: decay, nesterov: options.UsesNesterov),
                    new SGD.ParamGroup(notDecayed, rate, options.Momentum, weight_decay: 0, nesterov: options.UsesNesterov),
                ], rate),
            OptimizerKind.Adam => optim.Adam(
                [new Adam.ParamGroup(decayed, rate, weight_decay: decay), new Adam.ParamGroup(notDecayed, rate, weight_decay: 0)], rate),
            OptimizerKind.AdamW => optim.AdamW(
                [new AdamW.ParamGroup(decayed, rate, weight_decay: decay), new AdamW.ParamGroup(notDecayed, rate, weight_decay: 0)], rate),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Optimizer, "Unknown optimiser."),
        };
    }

    /// <summary>The parameters weight decay applies to (two or more dimensions), and the others.</summary>
    internal static (List<Parameter> Decayed, List<Parameter> NotDecayed) WeightDecayGroups(GoogLeNetNetwork network)
    {
        var decayed = new List<Parameter>();
        var notDecayed = new List<Parameter>();
        foreach (var parameter in network.parameters())
            (parameter.dim() > 1 ? decayed : notDecayed).Add(parameter);
        return (decayed, notDecayed);
    }

    public void Dispose() => Optimizer.Dispose();
}
