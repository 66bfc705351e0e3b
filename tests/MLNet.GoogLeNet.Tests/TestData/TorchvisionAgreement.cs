namespace MLNet.GoogLeNet.Tests.TestData;

/// <summary>
/// How close the library's values must be to those torchvision computes for the same weights and pixels: every
/// difference within <see cref="Tolerance"/> of the largest |value| torchvision gives, and torchvision's values spread
/// over more than 1, so that agreement means something. Relative, because float32 through tens of layers is not more
/// exact than that: torchvision's own float32 logits of the fixtures differ from its float64 ones by more than 1e-4
/// (docs/transfer-learning.md, "Why relative", has the figures).
/// </summary>
internal static class TorchvisionAgreement
{
    public const float Tolerance = 1e-4f;

    /// <summary>Asserts the bound; returns the largest difference as a fraction of the largest |expected| value.</summary>
    public static float AssertSame(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        float scale = expected.Max(Math.Abs);
        float worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max() / scale;
        Assert.True(worst <= Tolerance, $"{what}: largest difference {worst:G3} of the largest value, {scale:G3}, exceeds {Tolerance:G3}");
        Assert.True(expected.Max() - expected.Min() > 1f, $"{what}: torchvision's values hardly vary ({expected.Min()} … {expected.Max()})");
        return worst;
    }
}
