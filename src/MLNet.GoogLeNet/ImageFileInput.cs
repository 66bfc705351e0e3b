using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using MLNet.GoogLeNet.Data;

namespace MLNet.GoogLeNet;

/// <summary>
/// A model that reads in-memory images, made to read image files for saving: ML.NET cannot store an image column
/// in a zip's input schema (it leaves it out without a word), so a zip saved as it is would not say what to feed it.
/// Each image column <c>X</c> becomes a text column <c>XPath</c>, loaded by LoadImages into <c>X</c> before the model.
/// </summary>
internal static class ImageFileInput
{
    /// <summary>Appended to an image column's name to name the column of its file paths.</summary>
    public const string PathSuffix = "Path";

    /// <summary>The model and schema to save: unchanged when the schema holds no image column.</summary>
    /// <exception cref="ArgumentException">The schema already has a column named like the path column of an image column.</exception>
    public static (ITransformer Model, DataViewSchema Schema) FromFiles(MLContext context, ITransformer model, DataViewSchema inputSchema)
    {
        var images = inputSchema.Where(c => c.Type is ImageDataViewType).ToList();
        if (images.Count == 0)
            return (model, inputSchema);
        var builder = new DataViewSchema.Builder();
        foreach (var column in inputSchema)
        {
            if (column.Type is not ImageDataViewType)
            {
                builder.AddColumn(column.Name, column.Type, column.Annotations);
                continue;
            }
            string path = column.Name + PathSuffix;
            if (inputSchema.GetColumnOrNull(path) is not null)
                throw new ArgumentException(
                    $"The input schema has the image column '{column.Name}' and a column '{path}'; the saved model reads the image from " +
                    $"a file named in '{path}', so rename that column.", nameof(inputSchema));
            builder.AddColumn(path, TextDataViewType.Instance);
        }
        var schema = builder.ToSchema();
        IEstimator<ITransformer> loading = new EstimatorChain<ITransformer>();
        foreach (var image in images)
            loading = loading.Append(context.Transforms.LoadImages(image.Name, imageFolder: null, inputColumnName: image.Name + PathSuffix));
        var loader = loading.Fit(new EmptyView(schema));
        return (new TransformerChain<ITransformer>(loader, model), schema);
    }

    /// <summary>A data view with a schema and no rows, to fit LoadImages on (it only checks the schema).</summary>
    private sealed class EmptyView(DataViewSchema schema) : PartitionedView(schema, 0)
    {
        protected override Delegate MakeGetter(DataViewSchema.Column column, Func<int> row) =>
            throw new InvalidOperationException("An empty view has no rows to read.");
    }
}
