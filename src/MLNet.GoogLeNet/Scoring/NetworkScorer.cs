using MLNet.GoogLeNet.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Scoring;

/// <summary>
/// Runs a trained network forward on batches of planar images and returns their probabilities, as
/// <see cref="TestTimeAugmentation"/> defines them (<see cref="TestTimeScoring"/>). Safe to call from
/// several threads at once: the network is only read, and gradient mode and dispose scopes are per thread. It scores
/// the network it is given, not a copy, so changes to the weights show at once.
/// </summary>
internal sealed class NetworkScorer
{
    private readonly GoogLeNetNetwork _network;
    private readonly Device _device;
    private readonly long[] _imageShape;
    private readonly TestTimeAugmentation _augmentation;

    /// <param name="network">The trained network, in evaluation mode, on <paramref name="device"/>.</param>
    /// <param name="device">Where the network lives and scores.</param>
    /// <param name="augmentation">How an image's probabilities are computed.</param>
    public NetworkScorer(GoogLeNetNetwork network, Device device, TestTimeAugmentation augmentation)
    {
        _network = network;
        _device = device;
        _augmentation = augmentation;
        var c = network.Configuration;
        _imageShape = [c.InputChannels, c.ImageHeight, c.ImageWidth];
        ClassCount = c.ClassCount;
    }

    public int ClassCount { get; }

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
        var result = TestTimeScoring.Probabilities(_network.call, Training.DeviceTransfer.ToDevice(input, _device), _augmentation).to(CPU).contiguous();
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(result.bytes).CopyTo(probabilities);
    }
}
