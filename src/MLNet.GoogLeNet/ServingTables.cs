using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace MLNet.GoogLeNet;

/// <summary>The small in-memory data views the saved chain is fitted with: lookup tables and an empty input.</summary>
internal static class ServingTables
{
    public const string HashColumn = "Hash";
    public const string ValueColumn = "Value";

    private sealed class IndexRow
    {
        [VectorType(1)]
        public long[] Index { get; set; } = [0];
    }

    private sealed class LookupRow<T>
    {
        public uint Hash { get; set; }
        public T Value { get; set; } = default!;
    }

    private sealed class ValueRow<T>
    {
        public T Value { get; set; } = default!;
    }

    private sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
    }

    private sealed class FeatureRow
    {
        public float[] Features { get; set; } = [];
    }

    /// <summary>The raw hash (key value) of each class index under <paramref name="options"/>.</summary>
    public static uint[] HashIndices(MLContext ml, HashingEstimator.ColumnOptions options, int classCount)
    {
        var rows = Enumerable.Range(0, classCount).Select(i => new IndexRow { Index = [i] });
        var schema = SchemaDefinition.Create(typeof(IndexRow));
        schema[nameof(IndexRow.Index)].ColumnName = options.InputColumnName;
        var data = ml.Data.LoadFromEnumerable(rows, schema);
        var hashed = ml.Transforms.Conversion.Hash(options)
            .Append(ml.Transforms.Conversion.ConvertType(options.Name, outputKind: DataKind.UInt32))
            .Fit(data).Transform(data);
        return hashed.GetColumn<uint>(options.Name).ToArray();
    }

    /// <summary>
    /// Hash of each class index (<paramref name="hashes"/>, in class order) → the class value, typed as the label's key
    /// values (uint indices without them).
    /// </summary>
    public static IDataView HashToClassValue(MLContext ml, uint[] hashes, ClassLabels classes) =>
        Invoke(nameof(Lookup), classes, ml, hashes);

    /// <summary>The class values in key order: the key data of MapValueToKey.</summary>
    public static IDataView ClassValues(MLContext ml, ClassLabels classes) => Invoke(nameof(Values), classes, ml, null);

    /// <summary>An empty data view with one column: the feature vector, of the type the model was trained on.</summary>
    public static IDataView EmptyFeatures(MLContext ml, string column, VectorDataViewType type)
    {
        var schema = SchemaDefinition.Create(typeof(FeatureRow));
        schema[nameof(FeatureRow.Features)].ColumnName = column;
        schema[nameof(FeatureRow.Features)].ColumnType = type;
        return ml.Data.LoadFromEnumerable(Array.Empty<FeatureRow>(), schema);
    }

    /// <summary>An empty data view with one text column: the image file paths a serving zip reads.</summary>
    public static IDataView EmptyPaths(MLContext ml, string column)
    {
        var schema = SchemaDefinition.Create(typeof(PathRow));
        schema[nameof(PathRow.ImagePath)].ColumnName = column;
        return ml.Data.LoadFromEnumerable(Array.Empty<PathRow>(), schema);
    }

    private static IDataView Invoke(string method, ClassLabels classes, MLContext ml, uint[]? hashes)
    {
        var values = classes.Values ?? Enumerable.Range(0, classes.Count).Select(i => (uint)i).ToArray();
        var generic = typeof(ServingTables).GetMethod(method, BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(values.GetType().GetElementType()!);
        return (IDataView)generic.Invoke(null, [ml, values, hashes])!;
    }

    private static IDataView Lookup<T>(MLContext ml, T[] values, uint[] hashes) =>
        ml.Data.LoadFromEnumerable(values.Select((v, i) => new LookupRow<T> { Hash = hashes[i], Value = v }).ToArray());

    private static IDataView Values<T>(MLContext ml, T[] values, uint[]? _) =>
        ml.Data.LoadFromEnumerable(values.Select(v => new ValueRow<T> { Value = v }).ToArray());
}
