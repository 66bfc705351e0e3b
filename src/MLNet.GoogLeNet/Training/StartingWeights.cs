using MLNet.GoogLeNet.Modules;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Training;

/// <summary>
/// The weights a fine-tuning run starts from (<see cref="GoogLeNetTrainerOptions.FineTuneFrom"/>): those of a checkpoint
/// (a <c>.ckpt</c> file, or the latest in a folder), of a PyTorch state-dict or safetensors file, or of the network in
/// a model zip saved by this library.
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
                sameClasses => checkpoint.RestoreNetwork(network, include: name => sameClasses || !GoogLeNetNetwork.IsHead(name)));
        }

        if (Export.StateDictFile.IsStateDict(path))
        {
            // A state dict carries no class list: it must fit this network, head included.
            try
            {
                Export.StateDictFile.Load(network, path);
            }
            catch (Exception e) when (e is FileNotFoundException or InvalidDataException or IOException or UnauthorizedAccessException)
            {
                throw new InvalidOperationException($"{Option}: {e.Message}", e);
            }
            return TrainingStart.FineTuning(path);
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
                    if (sameClasses || !GoogLeNetNetwork.IsHead(name))
                        tensor.copy_(source[name]);
                }
            });
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
