using MLNet.GoogLeNet.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Scoring;

/// <summary>
/// Runs a trained network forward on batches of planar images and returns softmax probabilities. Safe to call from
/// several threads at once: the network is only read, and gradient mode and dispose scopes are per thread.
/// </summary>
internal sealed class NetworkScorer
{
    private readonly GoogLeNetNetwork _network;
    private readonly Device _device;
    private readonly long[] _imageShape;

    /// <param name="network">The trained network, in evaluation mode, on <paramref name="device"/>.</param>
    /// <param name="device">Where the network lives and scores.</param>
    /// <param name="channelsLast">
    /// Score with a private copy of the network whose weights are laid out channels-last: about 1.7× the CPU
    /// inference rate of the standard layout here (docs/performance.md), for the memory of a second set of weights.
    /// <paramref name="network"/> itself is left as it is, so what users read from it or export keeps the standard layout.
    /// </param>
    public NetworkScorer(GoogLeNetNetwork network, Device device, bool channelsLast)
    {
        _network = channelsLast ? ChannelsLastCopy(network, device) : network;
        _device = device;
        var c = network.Configuration;
        _imageShape = [c.InputChannels, c.ImageHeight, c.ImageWidth];
        ClassCount = c.ClassCount;
    }

    public int ClassCount { get; }

    /// <summary>True when scoring runs on a channels-last copy of the network.</summary>
    public bool IsChannelsLast => _network.IsChannelsLast;

    private static GoogLeNetNetwork ChannelsLastCopy(GoogLeNetNetwork network, Device device)
    {
        var copy = new GoogLeNetNetwork(network.Configuration);
        copy.to(device);
        using (no_grad())
        {
            // Same names, shapes and values: load_state_dict copies each tensor into the copy's own storage.
            copy.load_state_dict(network.state_dict());
        }
        foreach (var parameter in copy.parameters())
            parameter.requires_grad = false;
        copy.eval();
        copy.UseChannelsLast(true);
        return copy;
    }

    public ReadOnlySpan<long> ImageShape => _imageShape;

    /// <summary>
    /// Scores <paramref name="count"/> images held in <paramref name="features"/> (C×H×W planar each) and writes
    /// count × classes probabilities into <paramref name="probabilities"/>.
    /// </summary>
    public void Score(float[] features, int count, float[] probabilities)
    {
        using var scope = NewDisposeScope();
        var input = frombuffer(features, ScalarType.Float32, count: count * _imageShape[0] * _imageShape[1] * _imageShape[2])
            .view([count, _imageShape[0], _imageShape[1], _imageShape[2]]);
        Score(input, probabilities);
    }

    /// <summary>Scores a (N, C, H, W) CPU or device tensor; writes N × classes probabilities.</summary>
    public void Score(Tensor input, float[] probabilities)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var logits = _network.call(Training.DeviceTransfer.ToDevice(input, _device));
        var result = nn.functional.softmax(logits, dim: 1).to(CPU).contiguous();
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(result.bytes).CopyTo(probabilities);
    }
}
