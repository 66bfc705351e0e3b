using MLNet.GoogLeNet.Modules;

namespace MLNet.GoogLeNet.Training;

/// <summary>
/// The network a <see cref="GoogLeNetTrainerOptions.FineTuneFrom"/> file holds, as far as the file says: a checkpoint
/// and a model zip record its whole configuration, a state dict only its keys, which tell the architecture
/// (<see cref="ArchitectureByKeys"/>). <c>googlenet train --from</c> takes it as the default of the options that must
/// match the file, so that fine-tuning a saved model needs no more than its path.
/// </summary>
internal static class StartingNetwork
{
    /// <summary>
    /// The architecture of the network <paramref name="path"/> holds and, where the file records it, its configuration;
    /// null when the file cannot be read or holds no network of this library (training refuses it then, saying why).
    /// </summary>
    public static (NetworkArchitecture Architecture, GoogLeNetConfiguration? Configuration)? Of(string path)
    {
        try
        {
            if (Directory.Exists(path) || path.EndsWith(CheckpointFolder.Extension, StringComparison.OrdinalIgnoreCase))
            {
                using var checkpoint = Checkpoint.Read(CheckpointFolder.Resolve(path));
                return (checkpoint.Manifest.Network.Architecture, checkpoint.Manifest.Network);
            }
            if (Export.StateDictFile.IsStateDict(path))
            {
                var loaded = Export.StateDictFile.Read(path);
                try
                {
                    return ArchitectureByKeys.Find(loaded.Keys) is { } entry ? (entry.Architecture, null) : null;
                }
                finally
                {
                    foreach (var tensor in loaded.Values)
                        tensor.Dispose();
                }
            }
            var imported = ModelFile.ImportNetwork(path);
            using (imported.Network)
                return (imported.Network.Configuration.Architecture, imported.Network.Configuration);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or IOException
                                       or UnauthorizedAccessException or InvalidOperationException)
        {
            return null;
        }
    }
}
