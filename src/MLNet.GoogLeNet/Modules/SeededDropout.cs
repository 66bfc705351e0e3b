using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// Dropout as <c>nn.Dropout</c> computes it — in training each value is zeroed with probability <see cref="Rate"/> and
/// the others scaled by 1 / (1 − rate); when scoring, the identity — but with its mask drawn from a generator of its own
/// instead of torch's global one, so that a run's seed decides it and the caller's random numbers are left alone. The
/// trainer reseeds it before every step from the run's seed and the step's number (<see cref="Reseed"/>,
/// <c>RandomStreams.DropoutSeed</c>), so the same seed gives the same masks and a resumed run draws what the
/// uninterrupted one drew. Until reseeded it draws from torch's global generator, as <c>nn.Dropout</c> does. It has no
/// weights: the state dict is that of <c>nn.Dropout</c>, and the ONNX graph has an Identity in its place.
/// </summary>
internal sealed class SeededDropout : nn.Module<Tensor, Tensor>
{
    private Generator? _generator;
    private string? _generatorDevice;

    /// <param name="rate">The probability of zeroing a value in training, in [0, 1).</param>
    public SeededDropout(double rate) : base(nameof(SeededDropout))
    {
        if (!(rate >= 0 && rate < 1))
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "A dropout rate must be at least 0 and below 1.");
        Rate = rate;
    }

    /// <summary>The probability of zeroing a value in training.</summary>
    public double Rate { get; }

    /// <summary>Starts the masks' draws afresh from <paramref name="seed"/>, on <paramref name="device"/> (the activations').</summary>
    public void Reseed(ulong seed, Device device)
    {
        string key = device.ToString();
        if (_generator is null || _generatorDevice != key)
        {
            _generator?.Dispose();
            _generator = new Generator(seed, device);
            _generatorDevice = key;
        }
        else
        {
            _generator.manual_seed((long)seed);
        }
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        if (!training || Rate == 0)
            return input.alias();
        if (_generator is null)
            return nn.functional.dropout(input, Rate, training: true);
        using var scope = NewDisposeScope();
        var kept = rand(input.shape, dtype: ScalarType.Float32, device: input.device, generator: _generator).ge_(Rate);
        return input.mul(kept.to(input.dtype)).div_(1 - Rate).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _generator?.Dispose();
        base.Dispose(disposing);
    }
}
