using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Data;
using MLNet.GoogLeNet.Modules;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Training;

/// <summary>
/// The frozen-backbone mode's cache (<see cref="GoogLeNetTrainerOptions.FreezeBackbone"/>): the backbone's features of
/// every labelled image, computed once in scoring mode without gradients and kept in memory as a data view that the
/// training loop reads as it reads images, so that its epochs train the head alone.
/// </summary>
internal static class BackboneFeatures
{
    /// <summary>The training and validation features, and how the training loop reads them.</summary>
    public sealed record Views(IDataView Train, IDataView? Validation, BatchSource Source, long TrainRows);

    /// <summary>
    /// Runs <paramref name="network"/>'s backbone once over <paramref name="train"/> and <paramref name="validation"/>
    /// (read through <paramref name="images"/>), leaving the network in scoring mode.
    /// </summary>
    /// <exception cref="InvalidOperationException">The features would take more than <see cref="FeatureCache.MemoryShare"/> of the available memory.</exception>
    public static Views Compute(MLContext context, GoogLeNetNetwork network, Device device, MixedPrecision precision,
        GoogLeNetTrainerOptions options, BatchSource images, IDataView train, IDataView? validation, Action<string> log)
    {
        var clock = Stopwatch.StartNew();
        network.eval();
        long budget = (long)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * FeatureCache.MemoryShare);
        var source = new BatchSource(nameof(Row.Features), network.FeatureLength, nameof(Row.Label), images.ClassCount,
            RequireFiniteFeatures: true);
        var trainRows = Read(network, device, precision, options, images, train, ref budget);
        var validationRows = validation is null ? null
            : Read(network, device, precision, options, images with { RequireFiniteFeatures = false }, validation, ref budget);
        string counted = validationRows is null ? $"{trainRows.Count} training" : $"{trainRows.Count} training and {validationRows.Count} validation";
        log(string.Create(CultureInfo.InvariantCulture,
            $"FreezeBackbone: computed the backbone's {network.FeatureLength} features of {counted} images once, in scoring mode, in {clock.Elapsed.TotalSeconds:F1} s; the epochs train the classifier head on them."));
        return new Views(ToView(context, trainRows, source), validationRows is null ? null : ToView(context, validationRows, source),
            source, trainRows.Count);
    }

    private static List<Row> Read(GoogLeNetNetwork network, Device device, MixedPrecision precision, GoogLeNetTrainerOptions options,
        BatchSource images, IDataView data, ref long budget)
    {
        var c = network.Configuration;
        long[] imageShape = [c.InputChannels, c.ImageHeight, c.ImageWidth];
        int length = network.FeatureLength;
        var rows = new List<Row>();
        using var noGrad = no_grad();
        using var reader = new BatchReader(data, images, options.BatchSize, options.PrefetchBatches, options.CancellationToken);
        while (reader.Next() is { } batch)
        {
            budget -= (long)batch.Count * length * sizeof(float);
            if (budget < 0)
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"FreezeBackbone: the backbone's features of {rows.Count + batch.Count} images ({length} floats each) would take more than " +
                    $"{FeatureCache.MemoryShare:P0} of the memory available. Train on fewer images, or without FreezeBackbone (every layer trains, nothing is cached)."));
            float[] features;
            using (var scope = NewDisposeScope())
            {
                var input = DeviceTransfer.ToDevice(batch.FeatureTensor(imageShape), device);
                Tensor output;
                using (AutocastRegion.Enter(device.type, precision))
                    output = network.Backbone(input);
                features = output.to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
            }
            for (int i = 0; i < batch.Count; i++)
                rows.Add(new Row { Features = features[(i * length)..((i + 1) * length)], Label = (uint)batch.Labels[i] });
            reader.Recycle(batch);
        }
        return rows;
    }

    private static IDataView ToView(MLContext context, List<Row> rows, BatchSource source)
    {
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, source.FeatureLength);
        schema[nameof(Row.Label)].ColumnType = new KeyDataViewType(typeof(uint), source.ClassCount);
        // Cached, so that the shuffle of each epoch permutes all rows rather than a pool.
        return context.Data.Cache(context.Data.LoadFromEnumerable(rows, schema));
    }

    /// <summary>
    /// One image's features and its label: the 0-based class index, which a key-typed column made from an object's
    /// property holds (the view reads it back as key value index + 1).
    /// </summary>
    private sealed class Row
    {
        public float[] Features { get; set; } = [];

        public uint Label { get; set; }
    }
}
