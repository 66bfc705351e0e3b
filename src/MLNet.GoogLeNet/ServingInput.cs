using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace MLNet.GoogLeNet;

/// <summary>
/// What a loaded model zip takes, read from the zip itself: the column of its input schema that holds image file
/// paths, and the same model reading decoded images (<see cref="MLImage"/>) instead of files.
/// </summary>
/// <remarks>
/// A zip saved for serving (<see cref="ModelFile.SaveForServing"/>, <c>googlenet train</c>) declares one input
/// column, the image file path (text), and starts with LoadImages. ML.NET 5 has no public transform that decodes
/// image bytes held in a column (LoadImages reads only text paths), so bytes that are already in memory are decoded
/// with <see cref="MLImage.CreateFromStream"/> and given to <see cref="FromImages"/>.
/// This file uses ML.NET alone: serving applications that do not reference the library (examples/ServingApp,
/// examples/WebApi) compile it into themselves.
/// </remarks>
public sealed class ServingInput
{
    private readonly string _imageColumn;
    private readonly IReadOnlyList<ITransformer> _steps;

    private ServingInput(string pathColumn, string imageColumn, IReadOnlyList<ITransformer> steps)
    {
        PathColumn = pathColumn;
        _imageColumn = imageColumn;
        _steps = steps;
    }

    /// <summary>The input column that takes the path of an image file (text).</summary>
    public string PathColumn { get; }

    /// <summary>
    /// Reads the input schema of a model loaded with <c>mlContext.Model.Load(path, out inputSchema)</c>, and checks that
    /// the model starts by loading images from that column.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// The zip is not one saved for serving: its schema declares something else than one text column (a zip saved by an
    /// earlier version, or a pipeline saved with its label column), or its first step does not load images from it.
    /// The message names the columns found and what to do.
    /// </exception>
    public static ServingInput Find(ITransformer model, DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        var steps = Flatten(model).ToList();
        if (inputSchema.Count != 1 || inputSchema[0].Type is not TextDataViewType || steps.Count < 2 || steps[0] is not ImageLoadingTransformer loader)
            throw NotForServing(inputSchema);
        List<DataViewSchema.Column> loaded;
        try
        {
            loaded = loader.GetOutputSchema(inputSchema).Where(c => c.Type is ImageDataViewType).ToList();
        }
        catch (ArgumentOutOfRangeException)
        {
            // LoadImages reads another column than the one declared.
            throw NotForServing(inputSchema);
        }
        if (loaded.Count != 1)
            throw new InvalidDataException($"The model's first step (LoadImages) writes {loaded.Count} image columns; a model zip saved for serving writes one.");
        return new ServingInput(inputSchema[0].Name, loaded[0].Name, steps);
    }

    /// <summary>
    /// The model without its first step (LoadImages): it reads decoded images from <paramref name="imageColumn"/>, an
    /// image column of any size, and gives the same <c>Score</c> and <c>PredictedLabel</c> as the zip gives for the
    /// image files. ML.NET's image steps dispose the images they read: give each read a new <see cref="MLImage"/>.
    /// </summary>
    public ITransformer FromImages(out string imageColumn)
    {
        imageColumn = _imageColumn;
        return new TransformerChain<ITransformer>(_steps.Skip(1).ToArray());
    }

    private static InvalidDataException NotForServing(DataViewSchema inputSchema)
    {
        string declared = inputSchema.Count == 0 ? "no columns" : string.Join(", ", inputSchema.Select(c => $"'{c.Name}' ({c.Type})"));
        return new InvalidDataException(
            $"The model's input schema declares {declared}; a model zip saved for serving declares one text column, the image file " +
            "path, and starts by loading the image from it. Train it again with this version of googlenet, or save the fitted " +
            "pipeline with ModelFile.SaveForServing.");
    }

    /// <summary>The steps of a fitted pipeline in order, nested chains opened.</summary>
    internal static IEnumerable<ITransformer> Flatten(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain.SelectMany(Flatten) : [model];
}
