namespace MLNet.GoogLeNet.Training;

/// <summary>
/// Seeds for the random draws of training, each computed from the run's seed and the position it is used at (epoch,
/// batch) rather than drawn from one generator in sequence. A run resumed at any epoch and batch therefore draws
/// exactly what the uninterrupted run drew there, without replaying the draws before it.
/// </summary>
internal static class RandomStreams
{
    /// <summary>What a derived seed is for; part of the hash, so the streams of different purposes do not coincide.</summary>
    public enum Purpose
    {
        /// <summary>The permutation of the training rows in an epoch.</summary>
        Shuffle = 1,

        /// <summary>The augmentation of one batch.</summary>
        Augmentation = 2,
    }

    /// <summary>A seed for <paramref name="purpose"/> at (<paramref name="epoch"/>, <paramref name="batch"/>).</summary>
    public static int Seed(int runSeed, Purpose purpose, int epoch, long batch = 0)
    {
        ulong state = (ulong)(uint)runSeed;
        state = Mix(state ^ (ulong)purpose);
        state = Mix(state ^ (ulong)(uint)epoch);
        state = Mix(state ^ (ulong)batch);
        return (int)(state & int.MaxValue);
    }

    // SplitMix64's finaliser: every input bit changes about half of the output bits, so neighbouring positions give
    // unrelated seeds.
    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
