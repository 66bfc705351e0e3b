using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.GoogLeNet.Scoring;

/// <summary>Values of the two output columns, shared by the batched cursor and the single-row mapper.</summary>
internal static class ScoreColumns
{
    /// <summary>Writes one row's probabilities into a Score vector.</summary>
    public static void WriteScore(ReadOnlySpan<float> probabilities, ref VBuffer<float> destination)
    {
        var editor = VBufferEditor.Create(ref destination, probabilities.Length);
        probabilities.CopyTo(editor.Values);
        destination = editor.Commit();
    }

    /// <summary>The PredictedLabel key: 1 + the index of the highest probability, or 0 (missing) when a score is NaN.</summary>
    public static uint PredictedKey(ReadOnlySpan<float> probabilities)
    {
        int best = 0;
        for (int i = 0; i < probabilities.Length; i++)
        {
            if (float.IsNaN(probabilities[i])) return 0;
            if (probabilities[i] > probabilities[best]) best = i;
        }
        return (uint)best + 1;
    }

    /// <summary>Index of the Score column in an output schema built by GoogLeNetTransformer.GetOutputSchema.</summary>
    public static int ScoreIndex(DataViewSchema output) => output.Count - 2;

    /// <summary>Index of the PredictedLabel column in such a schema.</summary>
    public static int PredictedLabelIndex(DataViewSchema output) => output.Count - 1;

    /// <summary>Casts a getter to the requested value type, or explains the mismatch.</summary>
    public static ValueGetter<TValue> Typed<TValue, TActual>(ValueGetter<TActual> getter, DataViewSchema.Column column)
    {
        if (getter is ValueGetter<TValue> typed)
            return typed;
        throw new InvalidOperationException(
            $"Column '{column.Name}' holds {typeof(TActual).Name} values ({column.Type}); a getter of {typeof(TValue).Name} was asked for.");
    }
}
