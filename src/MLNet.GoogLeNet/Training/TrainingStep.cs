using MLNet.GoogLeNet.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Training;

/// <summary>
/// One optimiser step on a batch already on the device: zero the gradients, forward pass and label-smoothed
/// cross-entropy (under autocast when asked), backward pass, optional gradient-norm clipping, optimiser step, and the
/// loss and number correct read back. With auxiliary classifiers
/// (<see cref="GoogLeNetTrainerOptions.TrainAuxiliaryClassifiers"/>) the loss adds
/// <see cref="GoogLeNetTrainerOptions.AuxiliaryLossWeight"/> times each one's, and the number correct is the main classifier's. The trainer's loop and the benchmark's compute phase run this same step; with a
/// frozen backbone (<see cref="GoogLeNetTrainerOptions.FreezeBackbone"/>) its batches are the backbone's features and it
/// trains the head alone.
/// </summary>
internal sealed class TrainingStep : IDisposable
{
    private readonly Func<Tensor, (Tensor Logits, IReadOnlyList<Tensor> Auxiliary)> _forward;
    private readonly DeviceType _device;
    private readonly MixedPrecision _precision;
    private readonly double _labelSmoothing;
    private readonly double? _clipNorm;
    private readonly List<Parameter> _parameters;
    private readonly double[] _rateFactors;

    /// <summary>
    /// A step for <paramref name="network"/>, with an optimiser made from <paramref name="options"/>; with
    /// <paramref name="headOnly"/>, a step of the classifier head alone, whose inputs are the backbone's features.
    /// </summary>
    /// <remarks>Make it after the network's layout is set (<see cref="GoogLeNetNetwork.UseChannelsLast"/>), which replaces the parameters.</remarks>
    public TrainingStep(GoogLeNetNetwork network, GoogLeNetTrainerOptions options, DeviceType device, MixedPrecision precision,
        bool headOnly = false)
    {
        // With auxiliary classifiers (never with headOnly, which options refuse together) the one pass gives their logits too.
        _forward = headOnly ? features => (network.Head(features), [])
            : network.HasAuxiliaryClassifiers ? network.ForwardWithAuxiliary
            : images => (network.call(images), []);
        _device = device;
        _precision = precision;
        _labelSmoothing = options.LabelSmoothing;
        _clipNorm = options.GradientClipNorm;
        var groups = ParameterGroups.Of(network, options, headOnly);
        _parameters = [.. groups.SelectMany(g => g.Parameters)];
        _rateFactors = [.. groups.Select(g => g.RateFactor)];
        Optimizer = CreateOptimizer(groups, options);
    }

    public optim.Optimizer Optimizer { get; }

    /// <summary>
    /// Sets the learning rate of the next steps: <paramref name="rate"/> for the head, times its factor for each group
    /// (<see cref="ParameterGroups"/>).
    /// </summary>
    public void SetLearningRate(double rate)
    {
        int i = 0;
        foreach (var group in Optimizer.ParamGroups)
            group.LearningRate = rate * _rateFactors[i++];
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
            (logits, var auxiliary) = _forward(input);
            loss = nn.functional.cross_entropy(logits, target, label_smoothing: _labelSmoothing);  // autocast computes the loss in fp32
            foreach (var auxiliaryLogits in auxiliary)
                loss = loss + GoogLeNetTrainerOptions.AuxiliaryLossWeight * nn.functional.cross_entropy(auxiliaryLogits, target, label_smoothing: _labelSmoothing);
        }
        float value = loss.item<float>();
        if (!float.IsFinite(value))
            return (value, 0);
        loss.backward();
        if (_clipNorm is { } maxNorm)
            nn.utils.clip_grad_norm_(_parameters, maxNorm);
        Optimizer.step();
        long correct = logits.argmax(1).eq(target).sum().item<long>();
        return (value, correct);
    }

    /// <summary>The optimiser of <paramref name="options"/> over all of <paramref name="network"/>'s parameter groups (<see cref="ParameterGroups"/>).</summary>
    internal static optim.Optimizer CreateOptimizer(GoogLeNetNetwork network, GoogLeNetTrainerOptions options) =>
        CreateOptimizer(ParameterGroups.Of(network, options, headOnly: false), options);

    private static optim.Optimizer CreateOptimizer(List<ParameterGroup> groups, GoogLeNetTrainerOptions options)
    {
        double rate = options.LearningRate;
        return options.Optimizer switch
        {
            OptimizerKind.Sgd => optim.SGD(
                [.. groups.Select(g => new SGD.ParamGroup(g.Parameters, rate * g.RateFactor, options.Momentum, weight_decay: g.WeightDecay, nesterov: options.UsesNesterov))],
                rate),
            OptimizerKind.Adam => optim.Adam(
                [.. groups.Select(g => new Adam.ParamGroup(g.Parameters, rate * g.RateFactor, weight_decay: g.WeightDecay))], rate),
            OptimizerKind.AdamW => new FusedAdamW(
                [.. groups.Select(g => new AdamW.ParamGroup(g.Parameters, rate * g.RateFactor, weight_decay: g.WeightDecay))], rate),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Optimizer, "Unknown optimiser."),
        };
    }

    public void Dispose() => Optimizer.Dispose();
}
