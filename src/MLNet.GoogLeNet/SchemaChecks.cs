using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.GoogLeNet;

/// <summary>
/// Checks of the columns the trainer and the transformer read. Every error names the column, what was expected
/// and what was found, and is an <see cref="ArgumentOutOfRangeException"/> as in ML.NET's own schema checks.
/// </summary>
internal static class SchemaChecks
{
    private const string FeatureExpectation =
        "a known-size vector of Single, C×H×W planar (ExtractPixels gives Vector<Single, C, H, W>)";

    public static DataViewSchema.Column FindColumn(DataViewSchema schema, string name, string role, string parameterName)
    {
        if (schema.GetColumnOrNull(name) is { } column)
            return column;
        var present = string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => $"'{c.Name}'"));
        throw new ArgumentOutOfRangeException(parameterName,
            $"{role} column '{name}' was not found in the input. Columns present: {present}.");
    }

    /// <summary>The feature column: a known-size vector of Single.</summary>
    public static VectorDataViewType CheckFeatureColumn(DataViewSchema schema, string name, string parameterName)
    {
        var column = FindColumn(schema, name, "Feature", parameterName);
        if (column.Type is VectorDataViewType { ItemType: NumberDataViewType item, IsKnownSize: true } vector && item == NumberDataViewType.Single)
            return vector;
        string actual = column.Type is VectorDataViewType { IsKnownSize: false } ? $"{column.Type} (variable size)" : column.Type.ToString()!;
        throw new ArgumentOutOfRangeException(parameterName,
            $"Feature column '{name}' must be {FeatureExpectation}; it is {actual}.");
    }

    /// <summary>The label column: a key type with at least two values.</summary>
    public static KeyDataViewType CheckLabelColumn(DataViewSchema schema, string name, string parameterName)
    {
        var column = FindColumn(schema, name, "Label", parameterName);
        if (column.Type is not KeyDataViewType key)
            throw new ArgumentOutOfRangeException(parameterName,
                $"Label column '{name}' must be a key type; it is {column.Type}. " +
                $"Map it to a key first: mlContext.Transforms.Conversion.MapValueToKey(\"{name}\").");
        if (key.Count < 2)
            throw new ArgumentOutOfRangeException(parameterName,
                $"Label column '{name}' has a single class ({key}); a classifier needs at least two.");
        if (key.Count > int.MaxValue)
            throw new ArgumentOutOfRangeException(parameterName, $"Label column '{name}' has too many classes ({key.Count}).");
        return key;
    }

    /// <summary>The SchemaShape form of <see cref="CheckFeatureColumn"/> and <see cref="CheckLabelColumn"/>, for GetOutputSchema.</summary>
    public static void CheckShape(SchemaShape inputSchema, string featureColumn, string labelColumn)
    {
        SchemaShape.Column? Find(string name, string role)
        {
            foreach (var column in inputSchema)
                if (column.Name == name)
                    return column;
            var present = string.Join(", ", inputSchema.Select(c => $"'{c.Name}'"));
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"{role} column '{name}' was not found in the input. Columns present: {present}.");
        }

        var features = Find(featureColumn, "Feature")!.Value;
        if (features.Kind != SchemaShape.Column.VectorKind.Vector || features.ItemType != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Feature column '{featureColumn}' must be {FeatureExpectation}; it is {Describe(features)}.");
        var label = Find(labelColumn, "Label")!.Value;
        if (!label.IsKey)
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Label column '{labelColumn}' must be a key type; it is {Describe(label)}. " +
                $"Map it to a key first: mlContext.Transforms.Conversion.MapValueToKey(\"{labelColumn}\").");
    }

    private static string Describe(SchemaShape.Column column) => column.Kind switch
    {
        SchemaShape.Column.VectorKind.Scalar => column.ItemType.ToString()!,
        SchemaShape.Column.VectorKind.Vector => $"Vector<{column.ItemType}>",
        _ => $"Vector<{column.ItemType}> (variable size)",
    };

    /// <summary>
    /// Channels, height and width of the images in a feature vector: from the options where given, else from the
    /// vector's dimensions (ExtractPixels records C, H, W), else inferred from its size assuming square images with
    /// 1 or 3 channels (at most one of the two can fit, since √3 is irrational).
    /// </summary>
    public static (int Channels, int Height, int Width) ResolveImageShape(
        VectorDataViewType vector, string column, int? channels, int? height, int? width)
    {
        int size = vector.Size;
        if (vector.Dimensions.Length == 3)
        {
            var (c, h, w) = (vector.Dimensions[0], vector.Dimensions[1], vector.Dimensions[2]);
            if ((channels ?? c) != c || (height ?? h) != h || (width ?? w) != w)
                throw new ArgumentOutOfRangeException(nameof(vector), string.Create(CultureInfo.InvariantCulture,
                    $"Feature column '{column}' holds images of C×H×W = {c}×{h}×{w} ({vector}), but the options ask for " +
                    $"{Show(channels)}×{Show(height)}×{Show(width)}. Leave ImageChannels, ImageHeight and ImageWidth unset or make them agree."));
            return (c, h, w);
        }

        if (channels is { } cc && height is { } hh && width is { } ww)
        {
            if ((long)cc * hh * ww != size)
                throw new ArgumentOutOfRangeException(nameof(vector), string.Create(CultureInfo.InvariantCulture,
                    $"Feature column '{column}' has {size} values per row, but ImageChannels × ImageHeight × ImageWidth = {cc}×{hh}×{ww} = {(long)cc * hh * ww}."));
            return (cc, hh, ww);
        }

        foreach (int c in channels is { } only ? [only] : new[] { 1, 3 })
        {
            if (size % c != 0) continue;
            int plane = size / c;
            if (height is { } h && width is null && plane % h == 0) return (c, h, plane / h);
            if (width is { } w && height is null && plane % w == 0) return (c, plane / w, w);
            if (height is { } h2 && width is { } w2 && h2 * w2 == plane) return (c, h2, w2);
            int side = (int)Math.Round(Math.Sqrt(plane));
            if (height is null && width is null && side * side == plane) return (c, side, side);
        }
        throw new ArgumentOutOfRangeException(nameof(vector), string.Create(CultureInfo.InvariantCulture,
            $"Cannot tell the image shape of feature column '{column}' ({vector}, {size} values per row): set ") +
            "GoogLeNetTrainerOptions.ImageChannels, ImageHeight and ImageWidth, or produce the column with ExtractPixels, which records C, H, W.");
    }

    private static string Show(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "?";
}
