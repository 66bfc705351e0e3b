using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using Microsoft.ML.Transforms.Image;

namespace MLNet.GoogLeNet;

/// <summary>
/// What a loaded model zip takes, read from the zip itself: the column of its input schema that holds image file
/// paths, the model as serving runs it (reading that column alone), and the same model reading decoded images
/// (<see cref="MLImage"/>) instead of files.
/// </summary>
/// <remarks>
/// A zip saved for serving (<c>ModelFile.SaveForServing</c> in the library, <c>googlenet train</c>) declares one input
/// column, the image file path (text), and starts with LoadImages. A pipeline saved the plain ML.NET way,
/// <c>mlContext.Model.Save(model, trainData.Schema, path)</c>, declares the label column too and maps it to a key
/// for training and evaluation; scoring needs neither, so <see cref="Model"/> leaves that step out and serving
/// applications give the path alone.
/// ML.NET (5 and 6) has no public transform that decodes image bytes held in a column (LoadImages reads only text paths),
/// so bytes that are already in memory are decoded with <see cref="MLImage.CreateFromStream"/> and given to
/// <see cref="FromImages"/>.
/// It is part of MLNet.GoogLeNet.Serving, which references ML.NET and ONNX Runtime alone: serving applications
/// (examples/ServingApp, examples/WebApi) reference that assembly, not the library and not TorchSharp.
/// </remarks>
public sealed class ServingInput
{
    private readonly string _imageColumn;
    private readonly IReadOnlyList<ITransformer> _afterLoading;

    private ServingInput(string pathColumn, string imageColumn, IReadOnlyList<ITransformer> steps, IReadOnlyList<ITransformer> afterLoading)
    {
        PathColumn = pathColumn;
        _imageColumn = imageColumn;
        Model = new TransformerChain<ITransformer>(steps.ToArray());
        _afterLoading = afterLoading;
    }

    /// <summary>The input column that takes the path of an image file (text).</summary>
    public string PathColumn { get; }

    /// <summary>
    /// The zip's model as serving runs it, reading <see cref="PathColumn"/> alone: its steps in order, less a
    /// label-to-key mapping (MapValueToKey) whose column serving does not give — it feeds training and evaluation, not
    /// <c>Score</c> or <c>PredictedLabel</c>, which are the loaded model's.
    /// </summary>
    public ITransformer Model { get; }

    /// <summary>
    /// Reads the input schema of a model loaded with <c>mlContext.Model.Load(path, out inputSchema)</c>, and checks that
    /// the model loads images from a text column of it and can score with that column alone.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// The model does not load images from a declared text column (a pipeline saved with ML.NET's own
    /// <c>Model.Save</c> from in-memory images), or one of its steps needs another declared column to score. The message names the columns and what to do.
    /// </exception>
    public static ServingInput Find(ITransformer model, DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        var steps = Flatten(model).ToList();
        var loaders = steps.OfType<ImageLoadingTransformer>().Take(2).ToList();
        if (loaders.Count != 1)
            throw NotForServing(inputSchema);
        // The declared text column LoadImages reads: the one it loads a single image column from, given that alone.
        var found = inputSchema.Where(c => c.Type is TextDataViewType)
            .Select(c => (Path: c.Name, Images: ImageColumns(loaders[0], PathOnly(c.Name))))
            .FirstOrDefault(f => f.Images.Count == 1);
        if (found.Path is null)
            throw NotForServing(inputSchema);
        string pathColumn = found.Path, imageColumn = found.Images[0];

        // Walk the steps on a schema of the path column alone; leave out label mappings that have nothing to read.
        var schema = PathOnly(pathColumn);
        var kept = new List<ITransformer>();
        var afterLoading = new List<ITransformer>();
        foreach (var step in steps)
        {
            try
            {
                schema = step.GetOutputSchema(schema);
            }
            catch (ArgumentOutOfRangeException) when (step is ValueToKeyMappingTransformer)
            {
                continue;
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new InvalidDataException(
                    $"The model's step {step.GetType().Name} needs a column that serving does not have: {FirstLine(e.Message)} " +
                    $"Serving gives the image path ('{pathColumn}') alone. Save the fitted pipeline with ModelFile.SaveForServing.", e);
            }
            kept.Add(step);
            if (afterLoading.Count > 0 || step == loaders[0])
                afterLoading.Add(step);
        }
        return new ServingInput(pathColumn, imageColumn, kept, afterLoading.Skip(1).ToList());
    }

    /// <summary>
    /// <see cref="Model"/> without its image loading: it reads decoded images from <paramref name="imageColumn"/>, an
    /// image column of any size, and gives the same <c>Score</c> and <c>PredictedLabel</c> as the zip gives for the
    /// image files. ML.NET's image steps dispose the images they read: give each read a new <see cref="MLImage"/>.
    /// </summary>
    public ITransformer FromImages(out string imageColumn)
    {
        imageColumn = _imageColumn;
        return new TransformerChain<ITransformer>(_afterLoading.ToArray());
    }

    private static InvalidDataException NotForServing(DataViewSchema inputSchema)
    {
        string declared = inputSchema.Count == 0 ? "no columns" : string.Join(", ", inputSchema.Select(c => $"'{c.Name}' ({c.Type})"));
        return new InvalidDataException(
            $"The model's input schema declares {declared}; a model zip that serves images declares a text column, the image " +
            "file path, and loads the image from it. Train it again with this version of googlenet, or save the fitted " +
            "pipeline with ModelFile.SaveForServing.");
    }

    private static DataViewSchema PathOnly(string column)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(column, TextDataViewType.Instance);
        return builder.ToSchema();
    }

    /// <summary>The image columns <paramref name="loader"/> writes given <paramref name="input"/>; none when it reads another column.</summary>
    private static List<string> ImageColumns(ImageLoadingTransformer loader, DataViewSchema input)
    {
        try
        {
            return loader.GetOutputSchema(input).Where(c => c.Type is ImageDataViewType).Select(c => c.Name).ToList();
        }
        catch (ArgumentOutOfRangeException)
        {
            return [];
        }
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

    /// <summary>The steps of a fitted pipeline in order, nested chains opened.</summary>
    internal static IEnumerable<ITransformer> Flatten(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain.SelectMany(Flatten) : [model];
}
