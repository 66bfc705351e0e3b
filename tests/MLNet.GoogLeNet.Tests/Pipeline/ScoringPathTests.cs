using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Pipeline;

/// <summary>
/// How the fitted transformer scores: in batches of <see cref="GoogLeNetTransformer.ScoringBatchSize"/> rows, in the
/// order a shuffled cursor asks for, and only when the score columns are read.
/// </summary>
[Collection(TrainedPatternModel.Collection)]
public sealed class ScoringPathTests(TrainedPatternModel fixture)
{
    private sealed class Prediction
    {
        public float[] Score { get; set; } = [];
        public string PredictedLabel { get; set; } = "";
    }

    /// <summary>150 labelled image rows, every class present, taken alternately from the training and test files.</summary>
    private IReadOnlyList<ImageRow> Rows150 => fixture.Images.Train.Concat(fixture.Images.Test).Where((_, i) => i % 2 == 0).Take(150).ToList();

    [Fact]
    public void Transform_over_several_scoring_batches_equals_row_by_row_prediction()
    {
        var rows = Rows150;
        Assert.Equal(150, rows.Count);
        // Two full batches of 64 and a partial one of 22.
        Assert.Equal(64, fixture.GoogLeNet.ScoringBatchSize);

        var transformed = fixture.Model.Transform(fixture.Context.Data.LoadFromEnumerable(rows));
        var batchScores = transformed.GetColumn<float[]>("Score").ToList();
        var batchLabels = transformed.GetColumn<string>("PredictedLabel").ToList();
        Assert.Equal(150, batchScores.Count);

        using var engine = fixture.Context.Model.CreatePredictionEngine<ImageRow, Prediction>(fixture.Model, TrainedPatternModel.SharedModel);
        for (int i = 0; i < rows.Count; i++)
        {
            var single = engine.Predict(rows[i]);
            Assert.Equal(batchLabels[i], single.PredictedLabel);
            Assert.Equal(4, single.Score.Length);
            for (int c = 0; c < 4; c++)
                Assert.True(Math.Abs(batchScores[i][c] - single.Score[c]) <= 1e-5,
                    $"row {i} (batch {i / 64}, position {i % 64}) class {c}: {batchScores[i][c]} from Transform, {single.Score[c]} from the prediction engine");
        }
        // Rows of every batch, not just the first, carry a confident prediction: the rows were not scored as zeros.
        Assert.All(new[] { 10, 70, 140 }, i => Assert.True(batchScores[i].Max() > 0.5f, $"row {i}: {string.Join(", ", batchScores[i])}"));
    }

    [Fact]
    public void A_shuffled_cursor_gets_each_row_with_its_own_scores()
    {
        var rows = Rows150;
        var expected = ScoresByPath(fixture.Model.Transform(fixture.Context.Data.LoadFromEnumerable(rows)));

        // A cached view can be read in a random order (LoadFromEnumerable alone cannot).
        var input = fixture.Context.Data.Cache(fixture.Context.Data.LoadFromEnumerable(rows));
        Assert.True(input.CanShuffle);
        var scored = fixture.Model.Transform(input);
        Assert.True(scored.CanShuffle);
        var order = new List<string>();
        var seen = new Dictionary<string, float[]>();
        using (var cursor = scored.GetRowCursor([scored.Schema["ImagePath"], scored.Schema["Score"]], new Random(11)))
        {
            var path = cursor.GetGetter<ReadOnlyMemory<char>>(scored.Schema["ImagePath"]);
            var score = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
            ReadOnlyMemory<char> p = default;
            VBuffer<float> s = default;
            while (cursor.MoveNext())
            {
                path(ref p);
                score(ref s);
                order.Add(p.ToString());
                seen[p.ToString()] = s.DenseValues().ToArray();
            }
        }
        Assert.Equal(150, order.Count);
        Assert.Equal(rows.Select(r => r.ImagePath).Order(), order.Order());
        // The cursor did shuffle: rows come in another order, so matching scores to rows is put to the test.
        int inPlace = order.Where((path, i) => path == rows[i].ImagePath).Count();
        Assert.True(inPlace < 20, $"{inPlace} of 150 rows at their original position");
        AssertSameScores(expected, seen);
    }

    [Fact]
    public void Data_shuffled_by_mlnet_is_scored_row_for_row()
    {
        var rows = Rows150;
        var expected = ScoresByPath(fixture.Model.Transform(fixture.Context.Data.LoadFromEnumerable(rows)));

        var shuffled = fixture.Context.Data.ShuffleRows(fixture.Context.Data.LoadFromEnumerable(rows), seed: 4);
        var scored = fixture.Model.Transform(shuffled);
        var order = scored.GetColumn<string>("ImagePath").ToList();
        int inPlace = order.Where((path, i) => path == rows[i].ImagePath).Count();
        Assert.True(inPlace < 20, $"{inPlace} of 150 rows at their original position after ShuffleRows");
        AssertSameScores(expected, ScoresByPath(scored));
    }

    [Fact]
    public void Transform_runs_the_network_only_for_the_columns_read()
    {
        var preprocessed = fixture.Context.Data.Cache(
            PatternImages.Preprocessing(fixture.Context, TrainedPatternModel.ImageSize).Fit(fixture.TrainData).Transform(fixture.TestData));
        var counting = new CountingDataView(preprocessed, "Features");
        var transformed = fixture.GoogLeNet.Transform(counting);
        Assert.Equal(0, counting.FeatureReads);  // Transform itself reads nothing

        // Every image the network scores is read from the Features column first; reading only the label reads none.
        using (var cursor = transformed.GetRowCursor([transformed.Schema["Label"]]))
        {
            var label = cursor.GetGetter<uint>(transformed.Schema["Label"]);
            uint key = 0;
            int rows = 0;
            while (cursor.MoveNext())
            {
                label(ref key);
                rows++;
            }
            Assert.Equal(60, rows);
        }
        Assert.Equal(0, counting.FeatureReads);
        Assert.Equal(1, counting.CursorsOpened);

        // The same rows with their scores: every image is read, once, by the cursor that feeds the network.
        var scores = transformed.GetColumn<float[]>("Score").ToList();
        Assert.Equal(60, scores.Count);
        Assert.Equal(60, counting.FeatureReads);
        Assert.Equal(3, counting.CursorsOpened);
    }

    private static Dictionary<string, float[]> ScoresByPath(IDataView scored) =>
        scored.GetColumn<string>("ImagePath").Zip(scored.GetColumn<float[]>("Score")).ToDictionary(p => p.First, p => p.Second);

    private static void AssertSameScores(Dictionary<string, float[]> expected, Dictionary<string, float[]> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (path, scores) in expected)
        for (int c = 0; c < scores.Length; c++)
            Assert.True(Math.Abs(scores[c] - actual[path][c]) <= 1e-5,
                $"{Path.GetFileName(Path.GetDirectoryName(path))}/{Path.GetFileName(path)} class {c}: {scores[c]} in order, {actual[path][c]} shuffled");
    }

    /// <summary>Passes a data view through, counting the cursors opened over it and the values read from one column.</summary>
    private sealed class CountingDataView(IDataView source, string countedColumn) : IDataView
    {
        private readonly string _countedColumn = countedColumn;
        private int _featureReads;
        private int _cursorsOpened;

        public int FeatureReads => Volatile.Read(ref _featureReads);
        public int CursorsOpened => Volatile.Read(ref _cursorsOpened);

        public DataViewSchema Schema => source.Schema;
        public bool CanShuffle => false;
        public long? GetRowCount() => source.GetRowCount();

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        {
            Interlocked.Increment(ref _cursorsOpened);
            return new Cursor(this, source.GetRowCursor(columnsNeeded, rand));
        }

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
            [GetRowCursor(columnsNeeded, rand)];

        private sealed class Cursor(CountingDataView view, DataViewRowCursor inner) : DataViewRowCursor
        {
            public override DataViewSchema Schema => inner.Schema;
            public override long Position => inner.Position;
            public override long Batch => inner.Batch;
            public override bool MoveNext() => inner.MoveNext();
            public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();
            public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(column);

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            {
                var getter = inner.GetGetter<TValue>(column);
                if (column.Name != view._countedColumn)
                    return getter;
                return (ref TValue value) =>
                {
                    Interlocked.Increment(ref view._featureReads);
                    getter(ref value);
                };
            }

            protected override void Dispose(bool disposing)
            {
                if (disposing) inner.Dispose();
                base.Dispose(disposing);
            }
        }
    }
}
