namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// Which network of the family a weights file was saved from, told by its state-dict keys alone, so that a file refused
/// for another architecture's keys can be refused with the architecture to choose instead (a torchvision file given to
/// the default <c>googlenet-bn</c>, say).
/// </summary>
internal static class ArchitectureByKeys
{
    // The keys do not depend on the width, the channels, the class count or the image size, so each network is built
    // as small as it can be.
    private const int SmallWidthDivisor = 16;

    /// <summary>
    /// The row whose network has exactly <paramref name="keys"/>, its auxiliary classifiers' keys aside, or null when no
    /// network of <see cref="ArchitectureTable"/> has them. Building them leaves torch's global generator as it was
    /// (<see cref="GoogLeNetNetwork"/>'s constructor sees to it).
    /// </summary>
    public static ArchitectureEntry? Find(IReadOnlyCollection<string> keys)
    {
        foreach (var entry in ArchitectureTable.All)
        {
            var wanted = keys.Where(key => !entry.IsAuxiliary(key)).ToHashSet(StringComparer.Ordinal);
            var configuration = new GoogLeNetConfiguration(3, 2, entry.MinimumImageSize, entry.MinimumImageSize, SmallWidthDivisor, entry.Architecture);
            using var network = new GoogLeNetNetwork(configuration);
            if (wanted.SetEquals(network.state_dict().Keys))
                return entry;
        }
        return null;
    }
}
