using MLNet.GoogLeNet.Modules;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Training;

/// <summary>
/// For early stopping: a CPU copy of the network's state (weights and normalisation statistics) at the epoch with the
/// best validation accuracy so far, written back into the network by <see cref="Restore"/>.
/// </summary>
internal sealed class BestWeights(GoogLeNetNetwork network) : IDisposable
{
    private Dictionary<string, Tensor>? _state;

    /// <summary>The 1-based epoch of the best accuracy; 0 before any.</summary>
    public int Epoch { get; private set; }

    /// <summary>The best validation accuracy offered so far.</summary>
    public double Accuracy { get; private set; } = double.NegativeInfinity;

    /// <summary>Keeps a copy of the network's state when <paramref name="accuracy"/> beats the best so far (ties keep the earlier epoch).</summary>
    public void Offer(int epoch, double accuracy)
    {
        if (accuracy <= Accuracy)
            return;
        Epoch = epoch;
        Accuracy = accuracy;
        var copy = new Dictionary<string, Tensor>();
        using (no_grad())
        using (NewDisposeScope())  // disposes the intermediate detached and moved tensors; the clones leave it
        {
            foreach (var (name, tensor) in network.state_dict())
                copy[name] = tensor.detach().cpu().clone().DetachFromDisposeScope();
        }
        Release();
        _state = copy;
    }

    /// <summary>Writes the kept state back into the network, in place (its parameters and their layout stay the same objects).</summary>
    public void Restore()
    {
        if (_state is null)
            return;
        using var noGrad = no_grad();
        foreach (var (name, tensor) in network.state_dict())
            tensor.copy_(_state[name]);
    }

    public void Dispose() => Release();

    private void Release()
    {
        if (_state is null)
            return;
        foreach (var tensor in _state.Values)
            tensor.Dispose();
        _state = null;
    }
}
