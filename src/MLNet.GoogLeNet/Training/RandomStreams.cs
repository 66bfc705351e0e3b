namespace MLNet.GoogLeNet.Training;

/// <summary>
/// The seeds of training's random draws that depend only on the position in the run, so that a resumed run finds them
/// without replaying the epochs before its checkpoint.
/// </summary>
internal static class RandomStreams
{
    /// <summary>
    /// The seed of the shuffle of the 1-based <paramref name="epoch"/>: the epoch-th number of a generator seeded with
    /// the run's seed (one number an epoch, so replaying them to any epoch costs nothing).
    /// </summary>
    public static int ShuffleSeed(int runSeed, int epoch)
    {
        var random = new Random(runSeed);
        int seed = 0;
        for (int i = 0; i < epoch; i++)
            seed = random.Next();
        return seed;
    }
}
