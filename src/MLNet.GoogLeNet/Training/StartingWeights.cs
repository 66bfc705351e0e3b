using System.Globalization;
using MLNet.GoogLeNet.Modules;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Training;

/// <summary>
/// The weights a fine-tuning run starts from (<see cref="GoogLeNetTrainerOptions.FineTuneFrom"/>): those of a checkpoint
/// (a <c>.ckpt</c> file, or the latest in a folder), of a PyTorch state-dict or safetensors file (torchvision's
/// published GoogLeNet weights among them, for <see cref="NetworkArchitecture.GoogLeNetTorchvision"/>), or of the
/// network in a model zip saved by this library. Nothing is downloaded: every source is a local file.
/// </summary>
internal static class StartingWeights
{
    private const string Option = nameof(GoogLeNetTrainerOptions.FineTuneFrom);

    /// <summary>
    /// Copies the weights <paramref name="path"/> holds into <paramref name="network"/>: all of them when they were
    /// trained on the same classes, all but the classifier head's otherwise.
    /// </summary>
    /// <returns>What the run starts from, for <see cref="GoogLeNetTrainerOptions.StartProgress"/> and the log.</returns>
    /// <exception cref="InvalidOperationException">The file is missing, unreadable, or holds another network; the message says which and how.</exception>
    public static TrainingStart CopyInto(GoogLeNetNetwork network, string path, IReadOnlyList<string> classes)
    {
        if (Directory.Exists(path) || path.EndsWith(CheckpointFolder.Extension, StringComparison.OrdinalIgnoreCase))
        {
            using var checkpoint = GoogLeNetTrainer.ReadCheckpoint(path, Option);
            return Copy(network, classes, checkpoint.Manifest.Network, checkpoint.Manifest.Classes, checkpoint.Path, "the checkpoint",
                sameClasses => checkpoint.RestoreNetwork(network, include: name => sameClasses || !network.IsHead(name)));
        }

        if (Export.StateDictFile.IsStateDict(path))
        {
            try
            {
                return FromStateDict(network, path);
            }
            catch (Exception e) when (e is FileNotFoundException or InvalidDataException or IOException or UnauthorizedAccessException)
            {
                throw new InvalidOperationException($"{Option}: {e.Message}", e);
            }
        }

        Export.ImportedNetwork imported;
        try
        {
            imported = ModelFile.ImportNetwork(path);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{Option}: {e.Message}", e);
        }
        using (imported.Network)
        {
            return Copy(network, classes, imported.Network.Configuration, imported.ClassNames, path, "the model", sameClasses =>
            {
                var source = imported.Network.state_dict();
                using var noGrad = no_grad();
                foreach (var (name, tensor) in network.state_dict())
                {
                    if (sameClasses || !network.IsHead(name))
                        tensor.copy_(source[name]);
                }
            });
        }
    }

    /// <summary>
    /// Copies a state-dict file into <paramref name="network"/>, strictly: every key of the network with its shape, no
    /// other key, except the modules the architecture's files may hold beyond the network (torchvision's auxiliary
    /// classifiers), which are left out and named. A file carries no class list, so its head is kept when its shapes
    /// are the network's and replaced by the network's new head when only its number of classes differs.
    /// </summary>
    private static TrainingStart FromStateDict(GoogLeNetNetwork network, string path)
    {
        var entry = ArchitectureTable.Of(network.Configuration.Architecture);
        var loaded = Export.StateDictFile.Read(path);
        try
        {
            var leftOut = loaded.Keys.Where(entry.IsOnlyInFiles).Order(StringComparer.Ordinal).ToList();
            foreach (var key in leftOut)
            {
                loaded[key].Dispose();
                loaded.Remove(key);
            }
            long fileClasses = network.HeadLayer.weight!.shape[0];
            bool newHead = false;
            foreach (var (name, value) in network.state_dict().Where(e => network.IsHead(e.Key)))
            {
                if (!loaded.TryGetValue(name, out var saved) || saved.shape.SequenceEqual(value.shape))
                    continue;
                // Another class count changes the first dimension of the head's weight and bias, nothing else.
                if (saved.dim() != value.dim() || !saved.shape.Skip(1).SequenceEqual(value.shape.Skip(1)))
                    throw new InvalidDataException(
                        $"Weights file '{path}': '{name}' has shape ({string.Join(", ", saved.shape)}); the network needs " +
                        $"({string.Join(", ", value.shape)}) or the same with another number of classes. Use the architecture, " +
                        "width divisor and image channels the weights were trained with.");
                fileClasses = saved.shape[0];
                newHead = true;
            }
            Export.StateDictFile.Load(network, loaded, path, keep: newHead ? network.IsHead : null);
            string modules = string.Join(" and ", leftOut.Select(k => k[..k.IndexOf('.', StringComparison.Ordinal)]).Distinct());
            string? leftOutNote = leftOut.Count == 0 ? null : string.Create(CultureInfo.InvariantCulture,
                $"{leftOut.Count} keys of {modules}, modules this network has no place for, were left out");
            return TrainingStart.FineTuningFromWeightsFile(path, newHead, network.Configuration.ClassCount, fileClasses, leftOutNote);
        }
        finally
        {
            foreach (var tensor in loaded.Values)
                tensor.Dispose();
        }
    }

    private static TrainingStart Copy(GoogLeNetNetwork network, IReadOnlyList<string> classes, GoogLeNetConfiguration saved, IReadOnlyList<string> savedClasses,
        string path, string source, Action<bool> copy)
    {
        var differences = CheckpointManifest.NetworkDifferences(saved, network.Configuration, source);
        if (differences.Count > 0)
            throw new InvalidOperationException(
                $"Cannot fine-tune from '{path}': its network differs — {string.Join("; ", differences)}. " +
                "Train with its architecture, image size, channels and width divisor.");
        bool sameClasses = savedClasses.SequenceEqual(classes);
        copy(sameClasses);
        return sameClasses
            ? TrainingStart.FineTuning(path)
            : TrainingStart.FineTuningWithNewHead(path, network.Configuration.ClassCount, source, savedClasses);
    }
}
