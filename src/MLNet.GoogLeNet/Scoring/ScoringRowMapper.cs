using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.GoogLeNet.Scoring;

/// <summary>
/// Scores one row at a time for PredictionEngine. Each row object keeps its own buffers, so prediction engines on
/// several threads can share one transformer.
/// </summary>
internal sealed class ScoringRowMapper : IRowToRowMapper
{
    private readonly GoogLeNetTransformer _parent;

    public ScoringRowMapper(GoogLeNetTransformer parent, DataViewSchema inputSchema, DataViewSchema outputSchema)
    {
        _parent = parent;
        InputSchema = inputSchema;
        OutputSchema = outputSchema;
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var needed = new HashSet<int>();
        foreach (var column in dependingColumns)
        {
            if (column.Index < InputSchema.Count)
                needed.Add(column.Index);
            else
                needed.Add(InputSchema[_parent.FeatureColumnName].Index);
        }
        return InputSchema.Where(c => needed.Contains(c.Index));
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        bool scoring = activeColumns.Any(c => c.Index >= InputSchema.Count);
        return new ScoredRow(this, input, scoring);
    }

    private sealed class ScoredRow : DataViewRow
    {
        private readonly ScoringRowMapper _mapper;
        private readonly DataViewRow _input;
        private readonly bool _scoring;
        private readonly ValueGetter<VBuffer<float>>? _features;
        private readonly float[] _pixels;
        private readonly float[] _probabilities;
        private VBuffer<float> _buffer;
        private long _scoredPosition = -1;

        public ScoredRow(ScoringRowMapper mapper, DataViewRow input, bool scoring)
        {
            _mapper = mapper;
            _input = input;
            _scoring = scoring;
            var parent = mapper._parent;
            _pixels = scoring ? new float[parent.FeatureType.Size] : [];
            _probabilities = scoring ? new float[parent.Classes.Count] : [];
            if (scoring)
                _features = input.GetGetter<VBuffer<float>>(input.Schema[parent.FeatureColumnName]);
        }

        public override DataViewSchema Schema => _mapper.OutputSchema;

        public override long Position => _input.Position;

        public override long Batch => _input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < _mapper.InputSchema.Count ? _input.IsColumnActive(_input.Schema[column.Index]) : _scoring;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < _mapper.InputSchema.Count)
                return _input.GetGetter<TValue>(_input.Schema[column.Index]);
            if (!_scoring)
                throw new InvalidOperationException($"Column '{column.Name}' was not asked for when the row was created.");
            if (column.Index == ScoreColumns.ScoreIndex(Schema))
                return ScoreColumns.Typed<TValue, VBuffer<float>>((ref VBuffer<float> value) => ScoreColumns.WriteScore(Scored(), ref value), column);
            return ScoreColumns.Typed<TValue, uint>((ref uint value) => value = ScoreColumns.PredictedKey(Scored()), column);
        }

        /// <summary>The current row's probabilities, computed once per input position.</summary>
        private ReadOnlySpan<float> Scored()
        {
            if (_scoredPosition != _input.Position)
            {
                _features!(ref _buffer);
                if (_buffer.Length != _pixels.Length)
                    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                        $"Feature column '{_mapper._parent.FeatureColumnName}' has {_buffer.Length} values; the model expects {_pixels.Length}."));
                _buffer.CopyTo(_pixels);
                _mapper._parent.Score(_pixels, 1, _probabilities);
                _scoredPosition = _input.Position;
            }
            return _probabilities;
        }
    }
}
