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

    /// <summary>The kept state, named with <paramref name="prefix"/>, for a checkpoint; empty before any.</summary>
    public IEnumerable<(string, Tensor)> Tensors(string prefix) =>
        _state?.Select(pair => (prefix + pair.Key, pair.Value)) ?? [];

    /// <summary>Takes the best epoch, its accuracy and its state from a checkpoint (the tensors under <paramref name="prefix"/>).</summary>
    public void Load(int epoch, double accuracy, Checkpoint checkpoint, string prefix)
    {
        var copy = new Dictionary<string, Tensor>();
        foreach (var (name, _) in network.state_dict())
        {
            if (!checkpoint.Tensors.TryGetValue(prefix + name, out var stored))
                throw new InvalidDataException($"'{checkpoint.Path}' lacks the best epoch's tensor '{name}'.");
            copy[name] = stored.clone();
        }
        Release();
        _state = copy;
        Epoch = epoch;
        Accuracy = accuracy;
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
