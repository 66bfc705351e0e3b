using MLNet.GoogLeNet.Modules;

namespace MLNet.GoogLeNet.Training;

/// <summary>
/// The network a <see cref="GoogLeNetTrainerOptions.FineTuneFrom"/> file holds, as far as the file says: a checkpoint's
/// manifest and a model zip's metadata record its whole configuration (read without the weights), a state dict only its
/// keys, which tell the architecture (<see cref="ArchitectureByKeys"/>); published weights their row, or, given by address,
/// the keys of the file, fetched into the cache first (<see cref="Export.WeightsCache"/>). <c>googlenet train --from</c> takes it as the
/// default of the options that must match the file, so that fine-tuning a saved model needs no more than its path.
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
            return Read(path);
        }
        catch (Exception e) when (IsUnreadable(e))
        {
            return null;
        }
    }

    /// <summary>
    /// <see cref="Of"/>, failing where the file cannot be read: what <c>Fit</c> asks before it builds a network or times
    /// a training step, so that such a file is refused first. Null for a readable file of no network of this library.
    /// </summary>
    /// <exception cref="InvalidOperationException">The file is missing or unreadable; the message names the option and says why.</exception>
    public static (NetworkArchitecture Architecture, GoogLeNetConfiguration? Configuration)? Require(string path, string option)
    {
        try
        {
            return Read(path);
        }
        catch (Exception e) when (IsUnreadable(e))
        {
            throw new InvalidOperationException($"{option}: {e.Message}", e);
        }
    }

    private static (NetworkArchitecture Architecture, GoogLeNetConfiguration? Configuration)? Read(string path)
    {
        if (Export.PublishedWeights.Find(path) is { } published)
            return published.Architecture is { } known ? (known, null) : Read(Export.WeightsCache.Fetch(published));
        if (Directory.Exists(path) || path.EndsWith(CheckpointFolder.Extension, StringComparison.OrdinalIgnoreCase))
        {
            var manifest = Checkpoint.ReadManifest(CheckpointFolder.Resolve(path));
            return (manifest.Network.Architecture, manifest.Network);
        }
        if (Export.StateDictFile.IsStateDict(path))
            return ArchitectureByKeys.Find(Export.StateDictFile.ReadKeys(path)) is { } entry ? (entry.Architecture, null) : null;
        return ModelFile.ReadNetworkConfiguration(path) is { } saved ? (saved.Architecture, saved) : null;
    }

    private static bool IsUnreadable(Exception e) => e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException
        or IOException or UnauthorizedAccessException or InvalidOperationException;
}
