using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.ExceptionServices;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.GoogLeNet.Data;

/// <summary>Which columns a <see cref="BatchReader"/> reads and how it checks them.</summary>
/// <param name="FeatureColumn">Name of the known-size float vector column.</param>
/// <param name="FeatureLength">Values per row (C × H × W).</param>
/// <param name="LabelColumn">Name of the key-typed label column; null when scoring.</param>
/// <param name="ClassCount">Cardinality of the label's key type.</param>
/// <param name="RequireFiniteFeatures">Throw on NaN or infinite feature values (training); when false they pass through (scoring).</param>
internal sealed record BatchSource(
    string FeatureColumn, int FeatureLength, string? LabelColumn = null, int ClassCount = 0, bool RequireFiniteFeatures = false);

/// <summary>
/// Reads a data view into <see cref="FeatureBatch"/> buffers on a background thread, so that everything upstream
/// of the network — image loading, decoding, resizing, pixel extraction — runs while the network computes on
/// the previous batch. Memory stays bounded: at most <c>prefetch + 2</c> batches exist at once, and they are reused.
/// </summary>
internal sealed class BatchReader : IDisposable
{
    private readonly BlockingCollection<FeatureBatch> _filled;
    private readonly BlockingCollection<FeatureBatch> _free;
    private readonly CancellationTokenSource _stop;
    private readonly Task _producer;
    private readonly BatchSource _source;
    private ExceptionDispatchInfo? _failure;
    private long _rowsSkipped;

    /// <param name="data">Rows to read, in the order the data view's cursor gives them.</param>
    /// <param name="source">Columns and checks.</param>
    /// <param name="batchSize">Images per batch; the last batch may hold fewer.</param>
    /// <param name="prefetch">Batches read ahead of the consumer.</param>
    /// <param name="cancellation">Stops the reader; <see cref="Next"/> then throws <see cref="OperationCanceledException"/>.</param>
    /// <param name="cursorSeed">When set, the cursor is opened with <c>new Random(cursorSeed)</c> (a shuffled cursor, where the data view can shuffle).</param>
    public BatchReader(
        IDataView data, BatchSource source, int batchSize, int prefetch = 2, CancellationToken cancellation = default, int? cursorSeed = null)
    {
        _source = source;
        _filled = new BlockingCollection<FeatureBatch>(new ConcurrentQueue<FeatureBatch>(), prefetch);
        _free = new BlockingCollection<FeatureBatch>(new ConcurrentQueue<FeatureBatch>());
        for (int i = 0; i < prefetch + 2; i++)
            _free.Add(new FeatureBatch(batchSize, source.FeatureLength));
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        _producer = Task.Factory.StartNew(() => Produce(data, batchSize, cursorSeed, _stop.Token),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Rows skipped because their label was missing.</summary>
    public long RowsSkipped => Interlocked.Read(ref _rowsSkipped);

    /// <summary>The next filled batch, or null when the data view is exhausted. Hand it back with <see cref="Recycle"/>.</summary>
    /// <exception cref="InvalidOperationException">The data was invalid (the message names the column and row).</exception>
    public FeatureBatch? Next()
    {
        try
        {
            if (_filled.TryTake(out var batch, Timeout.Infinite, _stop.Token))
                return batch;
        }
        catch (OperationCanceledException)
        {
            _failure?.Throw();
            throw;
        }
        _failure?.Throw();
        return null;
    }

    /// <summary>Returns a batch for reuse once no tensor shares its memory any more.</summary>
    public void Recycle(FeatureBatch batch)
    {
        batch.Count = 0;
        _free.Add(batch);
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _producer.Wait();
        }
        catch (AggregateException)
        {
            // The producer records its own failures; cancellation is expected here.
        }
        _stop.Dispose();
        _filled.Dispose();
        _free.Dispose();
    }

    private void Produce(IDataView data, int batchSize, int? cursorSeed, CancellationToken token)
    {
        try
        {
            var features = data.Schema[_source.FeatureColumn];
            var columns = new List<DataViewSchema.Column> { features };
            if (_source.LabelColumn is { } labelName)
                columns.Add(data.Schema[labelName]);
            using var cursor = data.GetRowCursor(columns, cursorSeed is { } seed ? new Random(seed) : null);
            var featureGetter = cursor.GetGetter<VBuffer<float>>(features);
            var labelGetter = _source.LabelColumn is { } name ? KeyReader.Create(cursor, data.Schema[name]) : null;
            var idGetter = cursor.GetIdGetter();
            var values = default(VBuffer<float>);
            FeatureBatch? batch = null;
            long row = -1;

            while (cursor.MoveNext())
            {
                token.ThrowIfCancellationRequested();
                row++;
                ulong key = 0;
                if (labelGetter is not null)
                {
                    key = labelGetter();
                    if (key == 0 || key > (ulong)_source.ClassCount)
                    {
                        Interlocked.Increment(ref _rowsSkipped);  // missing label, as ML.NET trainers skip them
                        continue;
                    }
                }

                batch ??= _free.Take(token);
                featureGetter(ref values);
                CopyFeatures(values, batch.Features.AsSpan(batch.Count * _source.FeatureLength, _source.FeatureLength), row);
                batch.Labels[batch.Count] = (long)key - 1;
                idGetter(ref batch.RowIds[batch.Count]);
                batch.Count++;
                if (batch.Count == batchSize)
                {
                    _filled.Add(batch, token);
                    batch = null;
                }
            }
            if (batch is { Count: > 0 })
                _filled.Add(batch, token);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopped by Dispose or by the caller's token.
        }
        catch (Exception e)
        {
            _failure = ExceptionDispatchInfo.Capture(e);
            _stop.Cancel();
        }
        finally
        {
            _filled.CompleteAdding();
        }
    }

    private void CopyFeatures(in VBuffer<float> values, Span<float> destination, long row)
    {
        if (values.Length != _source.FeatureLength)
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"Feature column '{_source.FeatureColumn}' has {values.Length} values in row {row}; every row must have {_source.FeatureLength} (C × H × W)."));
        if (values.IsDense)
        {
            values.GetValues().CopyTo(destination);
        }
        else
        {
            destination.Clear();
            var indices = values.GetIndices();
            var items = values.GetValues();
            for (int i = 0; i < indices.Length; i++)
                destination[indices[i]] = items[i];
        }

        if (!_source.RequireFiniteFeatures)
            return;
        for (int i = 0; i < destination.Length; i++)
        {
            if (!float.IsFinite(destination[i]))
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"Feature column '{_source.FeatureColumn}' holds {destination[i]} at row {row}, slot {i}; training needs finite values. ") +
                    "Check the images and the pixel-extraction scale, or remove such rows (mlContext.Data.FilterRowsByMissingValues).");
        }
    }
}

/// <summary>Reads a key-typed column's raw value (0 = missing, k = class k − 1) whatever its integer width.</summary>
internal static class KeyReader
{
    public static Func<ulong> Create(DataViewRow row, DataViewSchema.Column column)
    {
        var raw = column.Type.RawType;
        if (raw == typeof(uint)) return Widen<uint>(row, column, v => v);
        if (raw == typeof(byte)) return Widen<byte>(row, column, v => v);
        if (raw == typeof(ushort)) return Widen<ushort>(row, column, v => v);
        if (raw == typeof(ulong)) return Widen<ulong>(row, column, v => v);
        throw new ArgumentOutOfRangeException(nameof(column), $"Key column '{column.Name}' has an unsupported raw type {raw.Name}.");
    }

    private static Func<ulong> Widen<T>(DataViewRow row, DataViewSchema.Column column, Func<T, ulong> widen)
    {
        var getter = row.GetGetter<T>(column);
        T value = default!;
        return () =>
        {
            getter(ref value);
            return widen(value);
        };
    }
}
