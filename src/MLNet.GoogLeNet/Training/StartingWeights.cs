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
            bool Stored(string name) => checkpoint.Tensors.ContainsKey(Checkpoint.NetworkPrefix + name);
            var start = Copy(network, classes, checkpoint.Manifest.Network, checkpoint.Manifest.Classes, checkpoint.Path, "the checkpoint",
                sameClasses => checkpoint.RestoreNetwork(network,
                    include: name => (sameClasses || !network.IsClassLayer(name)) && (!network.IsAuxiliary(name) || Stored(name))));
            bool storedAuxiliary = network.state_dict().Keys.Where(network.IsAuxiliary).Any(Stored);
            return network.HasAuxiliaryClassifiers
                ? start.With(!storedAuxiliary ? FreshAuxiliary("the checkpoint")
                    : start.NewClassifierHead ? $"the auxiliary classifiers start from the checkpoint's, their {network.AuxiliaryClassLayers} new"
                    : "the auxiliary classifiers start from the checkpoint's")
                : start;
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
            var start = Copy(network, classes, imported.Network.Configuration, imported.ClassNames, path, "the model", sameClasses =>
            {
                var source = imported.Network.state_dict();
                using var noGrad = no_grad();
                foreach (var (name, tensor) in network.state_dict())
                {
                    if ((sameClasses || !network.IsHead(name)) && !network.IsAuxiliary(name))
                        tensor.copy_(source[name]);
                }
            });
            // A model never holds auxiliary classifiers.
            return network.HasAuxiliaryClassifiers ? start.With(FreshAuxiliary("the model")) : start;
        }
    }

    /// <summary>
    /// Copies a state-dict file into <paramref name="network"/>, strictly: every key of the network with its shape, no
    /// other key. The architecture's auxiliary classifiers, which its files may hold (torchvision's <c>aux1</c>,
    /// <c>aux2</c>), are loaded too when the network has them; when it has not, they are left out and named, and when
    /// the file has none, the network's start from their initial weights and the note says so. A file carries no class
    /// list, so its class layers (the head, and the auxiliary classifiers' last layers) are kept when their shapes are
    /// the network's and replaced by the network's new ones when only the number of classes differs.
    /// </summary>
    private static TrainingStart FromStateDict(GoogLeNetNetwork network, string path)
    {
        var entry = ArchitectureTable.Of(network.Configuration.Architecture);
        var loaded = Export.StateDictFile.Read(path);
        try
        {
            var auxiliaryKeys = loaded.Keys.Where(entry.IsAuxiliary).Order(StringComparer.Ordinal).ToList();
            string? note = null;
            Func<string, bool>? fresh = null;
            if (!network.HasAuxiliaryClassifiers)
            {
                foreach (var key in auxiliaryKeys)
                {
                    loaded[key].Dispose();
                    loaded.Remove(key);
                }
                if (auxiliaryKeys.Count > 0)
                    note = string.Create(CultureInfo.InvariantCulture,
                        $"{auxiliaryKeys.Count} keys of {Modules(auxiliaryKeys)}, modules this network has no place for, were left out");
            }
            else if (auxiliaryKeys.Count == 0)
            {
                // Stand-ins that Load checks as present and leaves as they are: the network's own initial weights.
                foreach (var (name, value) in network.state_dict().Where(e => network.IsAuxiliary(e.Key)))
                    loaded[name] = value.detach().clone();
                fresh = network.IsAuxiliary;
                note = $"the file has no {string.Join(" or ", entry.AuxiliaryClassifiers.Select(p => p.Name))} keys: " +
                       "the auxiliary classifiers start from initial weights";
            }

            RefuseAnotherArchitecture(network, loaded.Keys, path);
            long fileClasses = network.HeadLayer.weight!.shape[0];
            bool newHead = false;
            foreach (var (name, value) in network.state_dict().Where(e => network.IsClassLayer(e.Key)))
            {
                if (!loaded.TryGetValue(name, out var saved) || saved.shape.SequenceEqual(value.shape))
                    continue;
                // Another class count changes the first dimension of a class layer's weight and bias, nothing else.
                if (saved.dim() != value.dim() || !saved.shape.Skip(1).SequenceEqual(value.shape.Skip(1)))
                    throw new InvalidDataException(
                        $"Weights file '{path}': '{name}' has shape ({string.Join(", ", saved.shape)}); the network needs " +
                        $"({string.Join(", ", value.shape)}) or the same with another number of classes. Use the architecture, " +
                        "width divisor and image channels the weights were trained with.");
                if (network.IsHead(name))
                    fileClasses = saved.shape[0];
                newHead = true;
            }
            Func<string, bool>? keep = (newHead, fresh) switch
            {
                (true, null) => network.IsClassLayer,
                (true, { } f) => name => network.IsClassLayer(name) || f(name),
                (false, var f) => f,
            };
            Export.StateDictFile.Load(network, loaded, path, keep);
            if (network.HasAuxiliaryClassifiers && auxiliaryKeys.Count > 0)
            {
                int kept = auxiliaryKeys.Count(key => !newHead || !network.IsClassLayer(key));
                string replaced = newHead
                    ? string.Create(CultureInfo.InvariantCulture, $", their {network.AuxiliaryClassLayers} new for {network.Configuration.ClassCount} classes")
                    : "";
                note = string.Create(CultureInfo.InvariantCulture, $"{kept} keys of {Modules(auxiliaryKeys)} were loaded into the auxiliary classifiers{replaced}");
            }
            return TrainingStart.FineTuningFromWeightsFile(path, newHead, network.Configuration.ClassCount, fileClasses, note);
        }
        finally
        {
            foreach (var tensor in loaded.Values)
                tensor.Dispose();
        }
    }

    /// <summary>
    /// Refuses a file whose keys are those of another architecture of the family, naming it and how to choose it; a
    /// file of no known network is left to <see cref="Export.StateDictFile.Load(nn.Module, IReadOnlyDictionary{string, Tensor}, string, Func{string, bool}?)"/>,
    /// which names the keys that differ.
    /// </summary>
    private static void RefuseAnotherArchitecture(GoogLeNetNetwork network, IReadOnlyCollection<string> keys, string path)
    {
        if (network.state_dict().Keys.ToHashSet(StringComparer.Ordinal).SetEquals(keys))
            return;
        var saved = ArchitectureByKeys.Find(keys);
        if (saved is null || saved.Architecture == network.Configuration.Architecture)
            return;
        throw new InvalidDataException(
            $"Weights file '{path}' holds {saved.NameWithArticle} network (its state-dict keys are those of " +
            $"{nameof(NetworkArchitecture)}.{saved.Architecture}), not the {ArchitectureTable.Of(network.Configuration.Architecture).Name} " +
            $"being trained. Train the architecture it was saved from: Architecture = {nameof(NetworkArchitecture)}.{saved.Architecture} " +
            $"in the options, --architecture {saved.Name} on the command line.");
    }

    /// <summary>The note for a source without auxiliary classifiers: "the model has no auxiliary classifiers: …".</summary>
    private static string FreshAuxiliary(string source) =>
        $"{source} has no auxiliary classifiers: they start from initial weights";

    /// <summary>The modules <paramref name="keys"/> belong to, in words: "aux1 and aux2".</summary>
    private static string Modules(IEnumerable<string> keys) =>
        string.Join(" and ", keys.Select(k => k[..k.IndexOf('.', StringComparison.Ordinal)]).Distinct());

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
