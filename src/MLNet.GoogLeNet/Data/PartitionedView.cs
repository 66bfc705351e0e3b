using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.GoogLeNet.Data;

/// <summary>
/// A data view over rows held in memory that ML.NET can read on parallel threads. ML.NET asks a data view for a
/// cursor set when a transform above it computes something (the image transforms, the ONNX scorer) and reads the
/// cursors concurrently; a source that hands back a single cursor, as <c>LoadFromEnumerable</c>'s does, keeps the
/// whole pipeline on one thread. Here the rows are shared out in blocks of <see cref="BlockRows"/>, block k to cursor
/// k mod n, with the block number as each cursor's <c>Batch</c>, so that ML.NET's consolidating cursor gives the rows
/// back in the order of a single cursor drawn with the same <see cref="Random"/>.
/// </summary>
internal abstract class PartitionedView : IDataView
{
    /// <summary>Rows per block handed to one cursor of a set (a batch of ML.NET's consolidating cursor).</summary>
    internal const int BlockRows = 32;

    private readonly int _rowCount;

    protected PartitionedView(DataViewSchema schema, int rowCount)
    {
        Schema = schema;
        _rowCount = rowCount;
    }

    public DataViewSchema Schema { get; }

    public bool CanShuffle => true;

    public long? GetRowCount() => _rowCount;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, Active(columnsNeeded), RowOrder(rand), part: 0, parts: 1);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        int blocks = (_rowCount + BlockRows - 1) / BlockRows;
        int parts = Math.Clamp(n, 1, Math.Max(1, blocks));
        var active = Active(columnsNeeded);
        var order = RowOrder(rand);
        return Enumerable.Range(0, parts).Select(part => (DataViewRowCursor)new Cursor(this, active, order, part, parts)).ToArray();
    }

    /// <summary>A getter of <paramref name="column"/> (a <see cref="ValueGetter{TValue}"/> of its type) for the row <paramref name="row"/> gives.</summary>
    protected abstract Delegate MakeGetter(DataViewSchema.Column column, Func<int> row);

    private static HashSet<int> Active(IEnumerable<DataViewSchema.Column> columnsNeeded) =>
        columnsNeeded.Select(c => c.Index).ToHashSet();

    /// <summary>A permutation of the rows drawn from <paramref name="rand"/>, or null for the stored order.</summary>
    private int[]? RowOrder(Random? rand)
    {
        if (rand is null)
            return null;
        var order = Enumerable.Range(0, _rowCount).ToArray();
        rand.Shuffle(order);
        return order;
    }

    /// <summary>
    /// Reads the positions of blocks <paramref name="part"/>, <paramref name="part"/> + <paramref name="parts"/>, …
    /// of <paramref name="order"/> (the stored order when null); a single cursor is part 0 of 1.
    /// </summary>
    private sealed class Cursor(PartitionedView view, HashSet<int> active, int[]? order, int part, int parts) : DataViewRowCursor
    {
        private long _position = -1;
        private long _index = -1;  // position in the whole sequence
        private int _row = -1;

        public override DataViewSchema Schema => view.Schema;

        public override long Position => _position;

        public override long Batch => _index < 0 ? 0 : _index / BlockRows;

        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

        public override bool MoveNext()
        {
            long next = _index + 1;
            long block = next / BlockRows;
            if (block % parts != part)  // the block belongs to another cursor: skip to this cursor's next one
                next = (block + (part - block % parts + parts) % parts) * BlockRows;
            if (next >= view._rowCount)
                return false;
            _index = next;
            _position++;
            _row = order is null ? (int)_index : order[_index];
            return true;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            (ref DataViewRowId id) => id = new DataViewRowId((ulong)_row, 0);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!IsColumnActive(column))
                throw new InvalidOperationException($"Column '{column.Name}' was not asked for when the cursor was opened.");
            return view.MakeGetter(column, () => _row) as ValueGetter<TValue> ?? throw new InvalidOperationException(
                $"Column '{column.Name}' is {column.Type}; a getter of {typeof(TValue).Name} was asked for.");
        }
    }
}
