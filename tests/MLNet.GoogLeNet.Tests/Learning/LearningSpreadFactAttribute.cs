namespace MLNet.GoogLeNet.Tests.Learning;

/// <summary>
/// The spread measurement: skipped, with the reason, unless <c>tests/learning-spread</c> runs it (it trains every
/// learning case many times, far longer than the suite may take).
/// </summary>
public sealed class LearningSpreadFactAttribute : FactAttribute
{
    /// <summary>The file the measurement appends its rows to; set by tests/learning-spread.</summary>
    public const string OutputVariable = "LEARNING_SPREAD_OUT";

    public LearningSpreadFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(OutputVariable)))
            Skip = $"Trains every learning case over seeds and numerical paths (tens of minutes); tests/learning-spread runs it with {OutputVariable} set.";
    }
}
