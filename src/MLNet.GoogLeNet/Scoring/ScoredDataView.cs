using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Data;

namespace MLNet.GoogLeNet.Scoring;

/// <summary>
/// The lazy result of <see cref="GoogLeNetTransformer.Transform"/>: the input's columns plus Score and PredictedLabel.
/// A cursor reads the input twice in step: a leading cursor, on a background thread, gathers feature vectors into
/// batches that the network scores together; the main cursor passes the other columns through row by row. Rows are
/// matched by row id, so a data view that gave its cursors different orders is caught.
/// </summary>
internal sealed class ScoredDataView : IDataView
{
    private readonly GoogLeNetTransformer _parent;
    private readonly IDataView _input;

    public ScoredDataView(GoogLeNetTransformer parent, IDataView input, DataViewSchema schema)
    {
        _parent = parent;
        _input = input;
        Schema = schema;
    }

    public DataViewSchema Schema { get; }

    public bool CanShuffle => _input.CanShuffle;

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.Select(c => c.Index).ToHashSet();
        int inputCount = _input.Schema.Count;
        bool scoring = needed.Contains(ScoreColumns.ScoreIndex(Schema)) || needed.Contains(ScoreColumns.PredictedLabelIndex(Schema));
        var passThrough = _input.Schema.Where(c => needed.Contains(c.Index));
        int? seed = rand?.Next();
        var main = _input.GetRowCursor(passThrough, seed is { } s ? new Random(s) : null);
        BatchReader? leading = null;
        if (scoring)
        {
            var source = new BatchSource(_parent.FeatureColumnName, _parent.FeatureType.Size);
            leading = new BatchReader(_input, source, _parent.ScoringBatchSize, prefetch: 2, cursorSeed: seed);
        }
        return new Cursor(this, main, leading, inputCount, scoring);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly ScoredDataView _view;
        private readonly DataViewRowCursor _main;
        private readonly BatchReader? _leading;
        private readonly int _inputCount;
        private readonly bool _scoring;
        private readonly int _classes;
        private readonly float[] _probabilities;
        private readonly ValueGetter<DataViewRowId> _mainId;
        private FeatureBatch? _batch;
        private int _row = -1;
        private long _position = -1;
        private bool _disposed;

        public Cursor(ScoredDataView view, DataViewRowCursor main, BatchReader? leading, int inputCount, bool scoring)
        {
            _view = view;
            _main = main;
            _leading = leading;
            _inputCount = inputCount;
            _scoring = scoring;
            _classes = view._parent.Classes.Count;
            _probabilities = scoring ? new float[view._parent.ScoringBatchSize * _classes] : [];
            _mainId = main.GetIdGetter();
        }

        public override DataViewSchema Schema => _view.Schema;

        public override long Position => _position;

        public override long Batch => _main.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _mainId;

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < _inputCount ? _main.IsColumnActive(_main.Schema[column.Index]) : _scoring;

        public override bool MoveNext()
        {
            if (_disposed || !_main.MoveNext())
                return false;
            _position++;
            if (_leading is null)
                return true;

            _row++;
            if (_batch is null || _row >= _batch.Count)
            {
                if (_batch is not null)
                    _leading.Recycle(_batch);
                _batch = _leading.Next() ?? throw OrderMismatch();
                _view._parent.Score(_batch.Features, _batch.Count, _probabilities);
                _row = 0;
            }
            var id = default(DataViewRowId);
            _mainId(ref id);
            if (!id.Equals(_batch.RowIds[_row]))
                throw OrderMismatch();
            return true;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < _inputCount)
                return _main.GetGetter<TValue>(_main.Schema[column.Index]);
            if (!_scoring)
                throw new InvalidOperationException($"Column '{column.Name}' was not asked for when the cursor was opened.");
            if (column.Index == ScoreColumns.ScoreIndex(_view.Schema))
                return ScoreColumns.Typed<TValue, VBuffer<float>>((ref VBuffer<float> value) => ScoreColumns.WriteScore(Current, ref value), column);
            return ScoreColumns.Typed<TValue, uint>((ref uint value) => value = ScoreColumns.PredictedKey(Current), column);
        }

        private ReadOnlySpan<float> Current => _probabilities.AsSpan(_row * _classes, _classes);

        private static InvalidOperationException OrderMismatch() => new(
            "The input data view gave its rows in a different order to two cursors opened over it, so scores cannot be " +
            "matched to rows. Cache the input first (mlContext.Data.Cache) or score it with a data view that reads deterministically.");

        protected override void Dispose(bool disposing)
        {
            if (_disposed) return;
            _disposed = true;
            if (disposing)
            {
                _leading?.Dispose();
                _main.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
