namespace MLNet.GoogLeNet;

/// <summary>
/// How the learning rate changes over a run; set before every optimiser step. Every schedule first spends
/// <c>WarmupFraction</c> of the steps rising to the peak rate (<c>LearningRate</c>).
/// </summary>
public enum LearningRateSchedule
{
    /// <summary>The peak rate throughout (after the warmup), as in the recipe.</summary>
    Constant,

    /// <summary>The peak rate multiplied by <c>StepDecayFactor</c> every <c>StepDecayEpochs</c> epochs (after the warmup).</summary>
    StepDecay,

    /// <summary>A linear warmup from 0, then half a cosine from the peak rate down towards 0, reached just after the last step.</summary>
    Cosine,

    /// <summary>
    /// One cycle (Smith and Topin 2019, PyTorch's <c>OneCycleLR</c>): a cosine rise from a 25th of the peak rate to the
    /// peak over the warmup, then a cosine fall towards a 25th of a ten-thousandth of the peak, reached just after the last step.
    /// </summary>
    OneCycle,
}
