namespace MLNet.GoogLeNet.Training;

/// <summary>How the learning rate changes from epoch to epoch.</summary>
public enum LearningRateSchedule
{
    /// <summary>The same rate in every epoch, as in the recipe.</summary>
    Constant,

    /// <summary>Multiplied by <c>StepDecayFactor</c> every <c>StepDecayEpochs</c> epochs.</summary>
    StepDecay,

    /// <summary>Half a cosine from the initial rate down to zero over the run (the first epoch uses the full rate).</summary>
    Cosine,
}

/// <summary>The learning rate of each epoch under a <see cref="LearningRateSchedule"/>.</summary>
internal static class LearningRates
{
    /// <summary>Rate for the 1-based <paramref name="epoch"/> of <paramref name="epochs"/>.</summary>
    public static double ForEpoch(
        LearningRateSchedule schedule, double initial, int epoch, int epochs, int stepEpochs, double stepFactor) =>
        schedule switch
        {
            LearningRateSchedule.Constant => initial,
            LearningRateSchedule.StepDecay => initial * Math.Pow(stepFactor, (epoch - 1) / stepEpochs),
            LearningRateSchedule.Cosine => initial * 0.5 * (1 + Math.Cos(Math.PI * (epoch - 1) / epochs)),
            _ => throw new ArgumentOutOfRangeException(nameof(schedule), schedule, "Unknown learning-rate schedule."),
        };
}
