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

    /// <summary>
    /// The seed of the dropout masks of optimiser step <paramref name="step"/> (0-based, counted over the whole run): the
    /// run's seed and the step's number mixed (SplitMix64's finaliser), so neighbouring steps get unrelated masks.
    /// </summary>
    public static ulong DropoutSeed(int runSeed, long step)
    {
        ulong z = ((ulong)(uint)runSeed << 32) ^ (ulong)step;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
