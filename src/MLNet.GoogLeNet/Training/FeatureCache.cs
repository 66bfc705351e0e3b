using System.Globalization;

namespace MLNet.GoogLeNet.Training;

/// <summary>Decides whether the trainer keeps the preprocessed feature vectors in memory after the first epoch.</summary>
internal static class FeatureCache
{
    /// <summary>The automatic choice caches data whose features take at most this share of the available memory.</summary>
    public const double MemoryShare = 0.25;

    /// <summary>
    /// <paramref name="requested"/> when it is set; otherwise true when the row counts are known and the feature
    /// vectors (4 bytes a value) take at most <see cref="MemoryShare"/> of <paramref name="availableBytes"/>.
    /// <paramref name="message"/> says what was chosen and why, for the log.
    /// </summary>
    public static bool Decide(bool? requested, long? trainRows, long? validationRows, bool hasValidation, int featureLength,
        long availableBytes, out string message)
    {
        long? rows = hasValidation ? trainRows + validationRows : trainRows;
        double? mebibytes = rows * (double)featureLength * sizeof(float) / (1 << 20);
        string size = mebibytes is { } m ? string.Create(CultureInfo.InvariantCulture, $"{m:N0} MiB") : "a size not known in advance";
        if (requested is { } asked)
        {
            message = asked
                ? $"Caching the preprocessed images in memory ({size}), as CacheFeatures asks: later epochs skip decoding and resizing."
                : "Not caching the preprocessed images (CacheFeatures is false): every epoch decodes and resizes them again.";
            return asked;
        }
        double budget = availableBytes * MemoryShare / (1 << 20);
        if (mebibytes is { } need && need <= budget)
        {
            message = string.Create(CultureInfo.InvariantCulture,
                $"Caching the preprocessed images in memory ({need:N0} MiB, within a quarter of the {availableBytes / (1 << 20):N0} MiB available): later epochs skip decoding and resizing.");
            return true;
        }
        message = mebibytes is null
            ? "Not caching the preprocessed images: the data's row count is not known in advance. Set CacheFeatures = true to cache anyway."
            : string.Create(CultureInfo.InvariantCulture,
                $"Not caching the preprocessed images: they would take {mebibytes:N0} MiB, more than a quarter of the {availableBytes / (1 << 20):N0} MiB available. Set CacheFeatures = true to cache anyway.");
        return false;
    }
}
