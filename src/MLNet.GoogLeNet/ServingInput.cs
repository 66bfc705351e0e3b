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
    private readonly IReadOnlyList<ITransformer> _steps;
    private readonly DataViewSchema _inputSchema;

    private ServingInput(string pathColumn, IReadOnlyList<ITransformer> steps, DataViewSchema inputSchema)
    {
        PathColumn = pathColumn;
        _steps = steps;
        _inputSchema = inputSchema;
    }

    /// <summary>The input column that takes the path of an image file (text).</summary>
    public string PathColumn { get; }

    /// <summary>
    /// Reads the input schema of a model loaded with <c>mlContext.Model.Load(path, out inputSchema)</c>.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// The schema declares something else than one text column: a zip saved by an earlier version, or a pipeline saved
    /// with its label column. The message names the columns found.
    /// </exception>
    public static ServingInput Find(ITransformer model, DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        if (inputSchema.Count != 1 || inputSchema[0].Type is not TextDataViewType)
        {
            string declared = inputSchema.Count == 0 ? "no columns" : string.Join(", ", inputSchema.Select(c => $"'{c.Name}' ({c.Type})"));
            throw new InvalidDataException(
                $"The model's input schema declares {declared}; a model zip saved for serving declares one text column, the " +
                "image file path. Train it again with this version of googlenet, or save the fitted pipeline with ModelFile.SaveForServing.");
        }
        return new ServingInput(inputSchema[0].Name, Flatten(model).ToList(), inputSchema);
    }

    /// <summary>
    /// The model without its first step (LoadImages): it reads decoded images from <paramref name="imageColumn"/>, an
    /// image column of any size (<c>new ImageDataViewType()</c>), and gives the same <c>Score</c> and
    /// <c>PredictedLabel</c> as the zip gives for the image files.
    /// </summary>
    /// <exception cref="InvalidDataException">The model does not start by loading images from <see cref="PathColumn"/>.</exception>
    public ITransformer FromImages(out string imageColumn)
    {
        if (_steps.Count < 2 || _steps[0] is not ImageLoadingTransformer loader)
            throw new InvalidDataException(
                $"The model does not start by loading images from '{PathColumn}' (its first step is {_steps.FirstOrDefault()?.GetType().Name ?? "missing"}).");
        var loaded = loader.GetOutputSchema(_inputSchema).Where(c => c.Type is ImageDataViewType).ToList();
        if (loaded.Count != 1)
            throw new InvalidDataException($"The model's LoadImages step writes {loaded.Count} image columns; one was expected.");
        imageColumn = loaded[0].Name;
        return new TransformerChain<ITransformer>(_steps.Skip(1).ToArray());
    }

    /// <summary>The steps of a fitted pipeline in order, nested chains opened.</summary>
    internal static IEnumerable<ITransformer> Flatten(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain.SelectMany(Flatten) : [model];
}
