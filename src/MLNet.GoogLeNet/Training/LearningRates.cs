namespace MLNet.GoogLeNet.Training;

/// <summary>The learning rate of each optimiser step under a <see cref="LearningRateSchedule"/>.</summary>
internal static class LearningRates
{
    /// <summary>PyTorch's <c>OneCycleLR</c> defaults: start at peak / 25, end at start / 10⁴.</summary>
    public const double OneCycleStartDivisor = 25, OneCycleFinalDivisor = 1e4;

    /// <summary>
    /// Rate of the 0-based <paramref name="step"/> of <paramref name="totalSteps"/> (the run's steps), which falls in
    /// the 1-based <paramref name="epoch"/>. Steps past the end keep the last step's rate.
    /// </summary>
    public static double ForStep(
        LearningRateSchedule schedule, double peak, double warmupFraction, long step, long totalSteps, int epoch,
        int stepEpochs, double stepFactor)
    {
        totalSteps = Math.Max(totalSteps, 1);
        step = Math.Clamp(step, 0, totalSteps - 1);
        long warmup = (long)Math.Round(warmupFraction * totalSteps);
        if (step < warmup)
        {
            double rise = (step + 1) / (double)warmup;  // reaches the peak on the warmup's last step
            return schedule == LearningRateSchedule.OneCycle
                ? Cosine(peak / OneCycleStartDivisor, peak, rise)
                : peak * rise;
        }
        long decaySteps = totalSteps - warmup;
        double progress = (step - warmup) / (double)decaySteps;  // 0 at the peak; 1 would be the step after the last
        return schedule switch
        {
            LearningRateSchedule.Constant => peak,
            LearningRateSchedule.StepDecay => peak * Math.Pow(stepFactor, (epoch - 1) / stepEpochs),
            LearningRateSchedule.Cosine => Cosine(peak, 0, progress),
            LearningRateSchedule.OneCycle => Cosine(peak, peak / OneCycleStartDivisor / OneCycleFinalDivisor, progress),
            _ => throw new ArgumentOutOfRangeException(nameof(schedule), schedule, "Unknown learning-rate schedule."),
        };
    }

    /// <summary>From <paramref name="from"/> at <paramref name="t"/> = 0 to <paramref name="to"/> at 1 along half a cosine.</summary>
    private static double Cosine(double from, double to, double t) => to + (from - to) * 0.5 * (1 + Math.Cos(Math.PI * t));
}
