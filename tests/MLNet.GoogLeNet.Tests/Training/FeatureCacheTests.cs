using MLNet.GoogLeNet.Training;

namespace MLNet.GoogLeNet.Tests.Training;

public class FeatureCacheTests
{
    private const long GiB = 1L << 30;
    private const int Features96 = 96 * 96;  // 36 KiB per image

    [Fact]
    public void Caches_automatically_when_the_features_take_at_most_a_quarter_of_the_memory()
    {
        // 60,000 + 10,000 Fashion-MNIST images at 96×96: 2,461 MiB; a quarter of 16 GiB is 4,096 MiB.
        Assert.True(FeatureCache.Decide(null, 60_000, 10_000, hasValidation: true, Features96, 16 * GiB, out var message));
        Assert.Contains("Caching the preprocessed images in memory (2,461 MiB", message);

        // With 8 GiB the quarter is 2,048 MiB: too little for both sets, enough for the training set alone.
        Assert.False(FeatureCache.Decide(null, 60_000, 10_000, hasValidation: true, Features96, 8 * GiB, out message));
        Assert.Contains("they would take 2,461 MiB, more than a quarter of the 8,192 MiB available", message);
        Assert.Contains("CacheFeatures = true", message);
        Assert.True(FeatureCache.Decide(null, 55_000, null, hasValidation: false, Features96, 8 * GiB, out _));
    }

    [Fact]
    public void Unknown_row_counts_are_not_cached_automatically()
    {
        Assert.False(FeatureCache.Decide(null, null, null, hasValidation: false, Features96, 64 * GiB, out var message));
        Assert.Contains("row count is not known", message);
        Assert.False(FeatureCache.Decide(null, 100, null, hasValidation: true, Features96, 64 * GiB, out _));
    }

    [Fact]
    public void An_explicit_choice_wins_whatever_the_size()
    {
        Assert.True(FeatureCache.Decide(true, 1_000_000, null, hasValidation: false, Features96, GiB, out var message));
        Assert.Contains("as CacheFeatures asks", message);
        Assert.False(FeatureCache.Decide(false, 10, null, hasValidation: false, Features96, 64 * GiB, out message));
        Assert.Contains("CacheFeatures is false", message);
    }
}
