using System.Globalization;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.GoogLeNet;

/// <summary>
/// The classes a model predicts, in key order: the label key's values (its <c>KeyValues</c> annotation), as their own
/// type and as text. Score slot i and PredictedLabel key i + 1 stand for class i.
/// </summary>
public sealed class ClassLabels
{
    private const string KeyValuesKind = "KeyValues";

    private ClassLabels(int count, PrimitiveDataViewType? valueType, Array? values, string[] names, DataViewSchema.Annotations annotations)
    {
        Count = count;
        ValueType = valueType;
        Values = values;
        Names = names;
        KeyValueAnnotations = annotations;
    }

    /// <summary>Number of classes: the cardinality of the label's key type.</summary>
    public int Count { get; }

    /// <summary>The type of the key values (text for labels mapped from strings); null when the label key carries no values.</summary>
    public PrimitiveDataViewType? ValueType { get; }

    /// <summary>The key values as text, in key order; "0", "1", … when the label key carries no values.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>True when the label key carries values (a <c>KeyValues</c> annotation).</summary>
    public bool HasKeyValues => Values is not null;

    /// <summary>The key values in key order as their own .NET type (for example <see cref="ReadOnlyMemory{T}"/> of char); null without values.</summary>
    internal Array? Values { get; }

    /// <summary>The label column's KeyValues annotation (empty without values), copied to PredictedLabel.</summary>
    internal DataViewSchema.Annotations KeyValueAnnotations { get; }

    /// <summary>
    /// The class names of a scored data view — the slot names of its Score column, as the fitted transformer and the
    /// model loaded from its zip both give them — in Score-slot order; empty when the column has no slot names.
    /// </summary>
    public static IReadOnlyList<string> NamesFromScoreColumn(DataViewSchema schema, string scoreColumn = GoogLeNetColumns.Score)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var column = schema.GetColumnOrNull(scoreColumn)
            ?? throw new ArgumentOutOfRangeException(nameof(scoreColumn), $"The data has no column '{scoreColumn}'.");
        if (!column.HasSlotNames())
            return [];
        var names = default(VBuffer<ReadOnlyMemory<char>>);
        column.GetSlotNames(ref names);
        return names.DenseValues().Select(n => n.ToString()).ToArray();
    }

    /// <summary>Reads the classes of a key-typed label column.</summary>
    internal static ClassLabels FromLabelColumn(DataViewSchema.Column label)
    {
        var keyType = (KeyDataViewType)label.Type;
        int count = checked((int)keyType.Count);
        var builder = new DataViewSchema.Annotations.Builder();
        var keyValuesColumn = label.Annotations.Schema.GetColumnOrNull(KeyValuesKind);
        if (keyValuesColumn?.Type is not VectorDataViewType { ItemType: PrimitiveDataViewType itemType } vectorType || vectorType.Size != count)
            return new ClassLabels(count, null, null, Enumerable.Range(0, count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray(), builder.ToAnnotations());

        builder.Add(label.Annotations, name => name == KeyValuesKind);
        var read = typeof(ClassLabels).GetMethod(nameof(ReadKeyValues), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(itemType.RawType);
        var values = (Array)read.Invoke(null, [label])!;
        var names = new string[count];
        for (int i = 0; i < count; i++)
            names[i] = ToText(values.GetValue(i));
        return new ClassLabels(count, itemType, values, names, builder.ToAnnotations());
    }

    private static T[] ReadKeyValues<T>(DataViewSchema.Column label)
    {
        var buffer = default(VBuffer<T>);
        label.GetKeyValues(ref buffer);
        return buffer.DenseValues().ToArray();
    }

    private static string ToText(object? value) => value switch
    {
        ReadOnlyMemory<char> text => text.ToString(),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        null => "",
        _ => value.ToString() ?? "",
    };

    /// <summary>Writes the class names as the Score column's slot names.</summary>
    internal void GetSlotNames(ref VBuffer<ReadOnlyMemory<char>> destination)
    {
        var editor = VBufferEditor.Create(ref destination, Count);
        for (int i = 0; i < Count; i++)
            editor.Values[i] = Names[i].AsMemory();
        destination = editor.Commit();
    }
}
