using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Data;

/// <summary>
/// A reusable buffer of a fixed number of images (planar float feature vectors) with their class indices
/// and row ids, filled by <see cref="BatchReader"/> on a background thread.
/// </summary>
internal sealed class FeatureBatch
{
    public FeatureBatch(int capacity, int featureLength)
    {
        FeatureLength = featureLength;
        Features = new float[(long)capacity * featureLength];
        Labels = new long[capacity];
        RowIds = new DataViewRowId[capacity];
    }

    public int FeatureLength { get; }

    /// <summary>Count × FeatureLength values, image after image, each C×H×W planar.</summary>
    public float[] Features { get; }

    /// <summary>Zero-based class index of each image (training batches only).</summary>
    public long[] Labels { get; }

    /// <summary>Row id of each image in the data view it was read from.</summary>
    public DataViewRowId[] RowIds { get; }

    /// <summary>Number of images held.</summary>
    public int Count { get; set; }

    /// <summary>
    /// The rows as a (Count, ..<paramref name="rowShape"/>) CPU tensor that shares this buffer's memory: (Count, C, H, W)
    /// for images. Dispose it (or its dispose scope) before the buffer is recycled.
    /// </summary>
    public Tensor FeatureTensor(ReadOnlySpan<long> rowShape) =>
        frombuffer(Features, ScalarType.Float32, count: (long)Count * FeatureLength).view([Count, .. rowShape]);

    /// <summary>The class indices as a (Count) int64 CPU tensor sharing this buffer's memory.</summary>
    public Tensor LabelTensor() => frombuffer(Labels, ScalarType.Int64, count: Count);
}
