using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Interpretation;

namespace MLNet.GoogLeNet;

public sealed partial class GoogLeNetTransformer
{
    /// <summary>Top classes an explanation lists unless told otherwise.</summary>
    public const int DefaultExplanationTop = 3;

    /// <summary>
    /// Explains the prediction for every row of <paramref name="input"/>: a Grad-CAM heatmap for the predicted class on
    /// the last Inception stage (the feature map before global pooling, for every architecture), at the network's input
    /// size (the height and width of the feature column), and the best classes. Computed with the TorchSharp network
    /// on <see cref="Device"/>, in batches of <see cref="ScoringBatchSize"/>; the weights are not changed. Each image is
    /// explained as it is: with <see cref="TestTimeAugmentation"/> the explained class and probabilities are those of
    /// the unmirrored view, not the averaged <c>Score</c>.
    /// </summary>
    /// <param name="input">Rows with the feature column (<see cref="FeatureColumnName"/>), as for <see cref="Transform"/>.</param>
    /// <param name="top">How many of the best classes each explanation lists; default <see cref="DefaultExplanationTop"/>.</param>
    /// <returns>One explanation per row, in row order.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="top"/> is below 1, or the feature column is missing or of another size than in training.</exception>
    /// <exception cref="ObjectDisposedException">The transformer has been disposed.</exception>
    public IReadOnlyList<ImageExplanation> Explain(IDataView input, int top = DefaultExplanationTop)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        ThrowIfDisposed();
        CheckInput(input.Schema);
        var size = (_network.Configuration.ImageWidth, _network.Configuration.ImageHeight);
        return ExplainFeatures(_network, Device, input, FeatureColumnName, Classes.Names, top, ScoringBatchSize, _ => size);
    }

    /// <summary>
    /// Reads <paramref name="featureColumn"/> of <paramref name="input"/> in batches and explains each row with
    /// <see cref="GradCam"/>, the heatmap of row i at <paramref name="sizeOf"/>(i).
    /// </summary>
    internal static List<ImageExplanation> ExplainFeatures(Modules.GoogLeNetNetwork network, TorchSharp.torch.Device device, IDataView input,
        string featureColumn, IReadOnlyList<string> classNames, int top, int batchSize, Func<int, (int Width, int Height)> sizeOf)
    {
        var column = input.Schema[featureColumn];
        long imageSize = (long)network.Configuration.InputChannels * network.Configuration.ImageHeight * network.Configuration.ImageWidth;
        var result = new List<ImageExplanation>();
        var batch = new float[batchSize * imageSize];
        var sizes = new List<(int, int)>();
        using var cursor = input.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> row = default;
        int count = 0;
        void Flush()
        {
            if (count == 0) return;
            result.AddRange(GradCam.Explain(network, device, batch[..(int)(count * imageSize)], count, sizes, classNames, top));
            count = 0;
            sizes.Clear();
        }
        while (cursor.MoveNext())
        {
            getter(ref row);
            row.CopyTo(batch, (int)(count * imageSize));
            sizes.Add(sizeOf(result.Count + count));
            if (++count == batchSize)
                Flush();
        }
        Flush();
        return result;
    }
}
