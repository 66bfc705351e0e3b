namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// The output channels of the four paths of an <see cref="Inception"/> block, written as the recipe writes them:
/// (c1, (c2a, c2b), (c3a, c3b), c4).
/// </summary>
/// <param name="C1">Path 1: channels of the 1×1 convolution.</param>
/// <param name="C2a">Path 2: channels of the 1×1 reduction before the 3×3 convolution.</param>
/// <param name="C2b">Path 2: channels of the 3×3 convolution.</param>
/// <param name="C3a">Path 3: channels of the 1×1 reduction before the 5×5 convolution.</param>
/// <param name="C3b">Path 3: channels of the 5×5 convolution.</param>
/// <param name="C4">Path 4: channels of the 1×1 convolution after the 3×3 max-pool.</param>
public readonly record struct InceptionChannels(int C1, int C2a, int C2b, int C3a, int C3b, int C4)
{
    /// <summary>Channels of the concatenated output: c1 + c2b + c3b + c4.</summary>
    public int OutputChannels => C1 + C2b + C3b + C4;

    /// <summary>Every count divided by <paramref name="divisor"/>, never below one channel (a width-reduced block).</summary>
    public InceptionChannels DividedBy(int divisor) => new(
        Divide(C1, divisor), Divide(C2a, divisor), Divide(C2b, divisor),
        Divide(C3a, divisor), Divide(C3b, divisor), Divide(C4, divisor));

    internal static int Divide(int channels, int divisor) => Math.Max(1, channels / divisor);

    /// <summary>Throws an <see cref="ArgumentException"/> naming <paramref name="parameterName"/> when a count is not positive.</summary>
    internal void Validate(string parameterName)
    {
        var counts = new (string Name, int Value)[] { ("c1", C1), ("c2a", C2a), ("c2b", C2b), ("c3a", C3a), ("c3b", C3b), ("c4", C4) };
        foreach (var (name, value) in counts)
        {
            if (value <= 0)
                throw new ArgumentException(
                    $"Inception channel count {name} must be positive; got {value} in {this}.", parameterName);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"({C1}, ({C2a}, {C2b}), ({C3a}, {C3b}), {C4})";
}
