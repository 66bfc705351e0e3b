using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Cli.Output;

namespace MLNet.GoogLeNet.Cli.Jobs;

/// <summary>One scored test image: where it is in the data, its label, the model's probabilities and its file (if it has one).</summary>
/// <param name="Row">Its row id in the data (the order rows are read in), to find the image again.</param>
/// <param name="Label">Its label; null when the model has no such class (left out of the metrics).</param>
/// <param name="Score">The probability of each class, in the order of the model's classes.</param>
/// <param name="Path">The image file, or null for an image held in memory.</param>
internal sealed record ScoredImage(long Row, string? Label, int TrueClass, float[] Score, string? Path)
{
    /// <summary>Probabilities below this count as this in the loss, as ML.NET's log-loss clamps them.</summary>
    private const double SmallestProbability = 1e-15;

    public int Predicted { get; } = Array.IndexOf(Score, Score.Max());

    /// <summary>−log p(true class): the cross-entropy of this image, the "loss" of top losses.</summary>
    public double Loss => -Math.Log(Math.Max(Score[TrueClass], SmallestProbability));
}

/// <summary>
/// Reads every test image's label and probabilities in one pass over the scored data, on one cursor per core (the
/// scoring runs as the rows are read), reporting progress as it goes; the metrics and the report are computed from
/// what it read, so the images are scored once.
/// </summary>
internal static class ScoredImages
{
    public static List<ScoredImage> Read(IDataView scored, string labelColumn, string? pathColumn, IReadOnlyList<string> classes,
        EvaluationProgress progress)
    {
        var index = classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);
        var label = scored.Schema[labelColumn];
        var score = scored.Schema[GoogLeNetColumns.Score];
        var columns = new List<DataViewSchema.Column> { label, score };
        if (pathColumn is not null) columns.Add(scored.Schema[pathColumn]);
        var cursors = scored.GetRowCursorSet(columns, Math.Max(2, Environment.ProcessorCount));
        var found = new List<ScoredImage>();
        Parallel.ForEach(cursors, new ParallelOptions { MaxDegreeOfParallelism = cursors.Length }, cursor =>
        {
            using (cursor)
            {
                var labelOf = LabelGetter(cursor, label, classes);
                var scoreGetter = cursor.GetGetter<VBuffer<float>>(score);
                var pathGetter = pathColumn is null ? null : cursor.GetGetter<ReadOnlyMemory<char>>(scored.Schema[pathColumn]);
                var id = cursor.GetIdGetter();
                VBuffer<float> values = default;
                ReadOnlyMemory<char> path = default;
                DataViewRowId rowId = default;
                var mine = new List<ScoredImage>();
                while (cursor.MoveNext())
                {
                    scoreGetter(ref values);
                    id(ref rowId);
                    pathGetter?.Invoke(ref path);
                    string? name = labelOf();
                    int trueClass = name is not null && index.TryGetValue(name, out int c) ? c : -1;
                    mine.Add(new ScoredImage((long)rowId.Low, trueClass < 0 ? null : name, trueClass, values.DenseValues().ToArray(),
                        pathGetter is null ? null : path.ToString()));
                    progress.Scored();
                }
                lock (found) found.AddRange(mine);
            }
        });
        found.Sort((a, b) => a.Row.CompareTo(b.Row));
        return found;
    }

    /// <summary>The metrics of the scored images, as ML.NET's evaluator computes them; images whose label is not a class are left out.</summary>
    public static MulticlassClassificationMetrics Metrics(MLContext context, IReadOnlyList<ScoredImage> images, IReadOnlyList<string> classes)
    {
        var definition = SchemaDefinition.Create(typeof(MetricRow));
        definition[nameof(MetricRow.Score)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, classes.Count);
        // An empty label is not a class: it becomes the missing key, which the evaluator skips.
        var rows = images.Select(i => new MetricRow { Label = i.Label ?? "", Score = i.Score, PredictedLabel = classes[i.Predicted] }).ToList();
        var view = context.Data.LoadFromEnumerable(rows, definition);
        var keys = context.Data.LoadFromEnumerable(classes.Select(c => new ClassName { Name = c }).ToList());
        var keyed = context.Transforms.Conversion.MapValueToKey(
            [new(nameof(MetricRow.Label)), new(nameof(MetricRow.PredictedLabel))], keyData: keys).Fit(view).Transform(view);
        return context.MulticlassClassification.Evaluate(keyed, nameof(MetricRow.Label), nameof(MetricRow.Score), nameof(MetricRow.PredictedLabel));
    }

    private sealed class MetricRow
    {
        public string Label { get; set; } = "";
        public float[] Score { get; set; } = [];
        public string PredictedLabel { get; set; } = "";
    }

    private sealed class ClassName
    {
        public string Name { get; set; } = "";
    }

    /// <summary>The label as a class name: a text column as it is, a key column through its key values (the model's classes).</summary>
    private static Func<string?> LabelGetter(DataViewRowCursor cursor, DataViewSchema.Column label, IReadOnlyList<string> classes)
    {
        if (label.Type is KeyDataViewType)
        {
            var getter = cursor.GetGetter<uint>(label);
            uint key = 0;
            return () =>
            {
                getter(ref key);
                return key == 0 || key > classes.Count ? null : classes[(int)key - 1];
            };
        }
        var text = cursor.GetGetter<ReadOnlyMemory<char>>(label);
        ReadOnlyMemory<char> value = default;
        return () =>
        {
            text(ref value);
            return value.ToString();
        };
    }
}
