using System.Buffers.Binary;
using System.IO.Compression;
using Google.Protobuf;
using Microsoft.ML;
using MLNet.GoogLeNet.Export;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.IO;

namespace MLNet.GoogLeNet;

/// <summary>
/// Saving and loading ML.NET model zips with clear errors: a save never leaves a partial file under the target
/// name, and a missing, truncated or corrupt zip is reported with its path.
/// </summary>
public static partial class ModelFile
{
    /// <summary>
    /// Saves <paramref name="model"/> (any ML.NET transformer, such as a fitted pipeline ending in GoogLeNet) and its input
    /// schema to <paramref name="path"/>: written under a temporary name in the same folder, then renamed over the target.
    /// If saving fails, the target keeps what it held before.
    /// </summary>
    /// <remarks>
    /// ML.NET cannot store an image column in a zip's input schema, so a model that reads in-memory images (such as one
    /// trained on <see cref="GrayscaleImages.ToDataView"/>) is saved reading image files instead: each image column
    /// <c>X</c> of <paramref name="inputSchema"/> is declared as a text column <c>XPath</c> (for example <c>ImagePath</c>),
    /// and the zip starts by loading the image named there. To save a zip that needs nothing but the image, use
    /// <see cref="SaveForServing"/>.
    /// </remarks>
    /// <exception cref="ArgumentException">The schema has both an image column <c>X</c> and a column <c>XPath</c>.</exception>
    public static void Save(MLContext context, ITransformer model, DataViewSchema inputSchema, string path)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var (saved, schema) = ImageFileInput.FromFiles(context, model, inputSchema);
        AtomicFile.Write(path, stream => context.Model.Save(saved, schema, stream));
    }

    /// <summary>
    /// Saves a fitted pipeline that ends in GoogLeNet as a zip that takes image files: LoadImages from
    /// <paramref name="pathColumn"/> → the image steps of <see cref="ImagePreprocessing"/> at the size and channels the
    /// network was trained on → the GoogLeNet transformer → the steps after it (such as MapKeyToValue). The zip's input
    /// schema declares that one text column, whatever the model was trained from (IDX files, in-memory images, files),
    /// so a program that loads it finds what to feed it (<see cref="ServingInput"/>). Written like <see cref="Save"/>.
    /// </summary>
    /// <remarks>
    /// The steps before GoogLeNet in <paramref name="model"/> are replaced, not saved: they must be the ones
    /// <see cref="ImagePreprocessing"/> builds (grayscale for one channel, resize, pixels scaled to [0, 1]), which
    /// <c>googlenet train</c> and the examples use. The label's key mapping is not needed to score, and is left out.
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// <paramref name="model"/> holds no GoogLeNet transformer, or its feature column is not a C×H×W square image.
    /// </exception>
    public static void SaveForServing(MLContext context, ITransformer model, string path, string pathColumn = GoogLeNetColumns.ImagePath)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(pathColumn);
        var steps = ServingInput.Flatten(model).ToList();
        int index = steps.FindIndex(step => step is GoogLeNetTransformer);
        if (index < 0)
            throw new ArgumentException("The model holds no GoogLeNet transformer: SaveForServing saves a pipeline fitted with the GoogLeNet trainer.", nameof(model));
        var googLeNet = (GoogLeNetTransformer)steps[index];
        var dimensions = googLeNet.FeatureType.Dimensions;
        if (dimensions.Length != 3 || dimensions[1] != dimensions[2])
            throw new ArgumentException(
                $"The model's feature column '{googLeNet.FeatureColumnName}' is {googLeNet.FeatureType}; serving from image files needs " +
                "square images as ExtractPixels writes them (channels × height × width).", nameof(model));

        var paths = ServingTables.EmptyPaths(context, pathColumn);
        var images = ImagePreprocessing.ForServing(context, imageSize: dimensions[1], channels: dimensions[0], pathColumn,
            googLeNet.FeatureColumnName).Fit(paths);
        var serving = new TransformerChain<ITransformer>([images, .. steps.Skip(index)]);
        Save(context, serving, paths.Schema, path);
    }

    /// <summary>
    /// Saves a featurizer that takes image files, as <see cref="SaveForServing"/> saves a classifier: LoadImages from
    /// <paramref name="pathColumn"/> → the image steps of <see cref="ImagePreprocessing"/> at the network's size and
    /// channels → <see cref="GoogLeNetCatalog.GoogLeNetFeaturizer"/> of <paramref name="weights"/>, whose output
    /// <see cref="GoogLeNetColumns.ImageFeatures"/> is each image's pooled features. The zip loads and scores with ML.NET
    /// and ONNX Runtime alone (examples/ImageSearch). Written like <see cref="Save"/>.
    /// </summary>
    /// <param name="context">The MLContext.</param>
    /// <param name="weights">What the featurizer takes (a model zip, a checkpoint, a state dict, published weights).</param>
    /// <param name="path">The zip to write.</param>
    /// <param name="pathColumn">The text column of image file paths the zip takes.</param>
    /// <param name="imageSize">For weights that do not record it (a state dict); see <see cref="GoogLeNetCatalog.GoogLeNetFeaturizer"/>.</param>
    /// <param name="channels">For weights that do not record them.</param>
    /// <exception cref="InvalidOperationException">The weights are missing, unreadable, or of no network of this library.</exception>
    public static void SaveFeaturizer(MLContext context, string weights, string path, string pathColumn = GoogLeNetColumns.ImagePath,
        int? imageSize = null, int? channels = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(pathColumn);
        SaveFeaturizer(context, context.Transforms.GoogLeNetFeaturizer(context, weights, imageSize: imageSize, channels: channels), path, pathColumn);
    }

    /// <summary>
    /// <see cref="SaveFeaturizer(MLContext, string, string, string, int?, int?)"/> of a featurizer already made (from a
    /// network the caller holds, say), reading <see cref="GoogLeNetColumns.Features"/>.
    /// </summary>
    internal static void SaveFeaturizer(MLContext context, GoogLeNetFeaturizerEstimator featurizer, string path, string pathColumn = GoogLeNetColumns.ImagePath)
    {
        var paths = ServingTables.EmptyPaths(context, pathColumn);
        var pipeline = ImagePreprocessing.ForServing(context, featurizer.ImageSize, featurizer.ImageChannels, pathColumn).Append(featurizer);
        var fitted = pipeline.Fit(paths);
        try
        {
            Save(context, fitted, paths.Schema, path);
        }
        finally
        {
            (fitted as IDisposable)?.Dispose();
        }
    }

    /// <summary>Loads a model zip saved by ML.NET (by <see cref="Save"/> or <c>mlContext.Model.Save</c>).</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a complete ML.NET model zip, or its ONNX network is corrupt; the
    /// message names the file and says which.</exception>
    public static ITransformer Load(MLContext context, string path, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Model file '{path}' does not exist.", path);
        try
        {
            using var stream = File.OpenRead(path);
            return context.Model.Load(stream, out inputSchema);
        }
        catch (Exception e) when (OnnxRuntimeError(e) is { } onnx)
        {
            throw new InvalidDataException(
                $"Model file '{path}' is a model zip whose ONNX network (the part that scores) is corrupt: ONNX Runtime cannot " +
                $"load it ({onnx.Message.Trim()}). Save the model again, or copy the zip again if it was damaged on the way.", e);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or IOException
                                      or InvalidOperationException or ArgumentException)
        {
            throw new InvalidDataException(
                $"Model file '{path}' is not a readable ML.NET model zip (truncated, corrupt, or not a model): {e.Message}", e);
        }
    }
    /// <summary>
    /// Rebuilds the trained network from a model zip saved by this library: the ONNX scorer that the GoogLeNet step is
    /// saved as holds every weight (<see cref="OnnxWeightImporter"/>), and its metadata the architecture, configuration
    /// and classes. The zip's image transforms (loading, resizing, pixel extraction) stay in the zip; the result names
    /// the feature column they produce. The caller owns the returned network.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a model zip, or holds no GoogLeNet network, or one that cannot be rebuilt; the message names the file.</exception>
    internal static ImportedNetwork ImportNetwork(string path)
    {
        var (model, source) = ReadNetworkModel(path);
        return OnnxWeightImporter.Import(model, source);
    }

    /// <summary>
    /// The configuration of the network a model zip saved by this library holds, as its metadata records it, without
    /// building the network (<see cref="ImportNetwork"/> builds it, and checks the metadata against the weights); null
    /// when the metadata does not describe it.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a model zip or holds no GoogLeNet network; the message names the file.</exception>
    internal static Modules.GoogLeNetConfiguration? ReadNetworkConfiguration(string path)
    {
        var (model, source) = ReadNetworkModel(path);
        return NetworkMetadata.ReadConfiguration(model, source);
    }

    /// <summary>The ONNX model of the one GoogLeNet network a model zip holds, and the zip named for messages.</summary>
    private static (Onnx.ModelProto Model, string Source) ReadNetworkModel(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Model file '{path}' does not exist.", path);
        string source = $"Model file '{path}'";
        var found = new List<Onnx.ModelProto>();
        try
        {
            using var zip = ZipFile.OpenRead(path);
            // ML.NET stores each ONNX scorer's model as an entry "OnnxModel" in the transform's folder: the length as a
            // little-endian int32, then the bytes of the model.
            foreach (var entry in zip.Entries.Where(e => e.Name == "OnnxModel"))
            {
                // The entry's announced length first, then what it really holds: neither may pass the limit, so a
                // damaged or hostile entry costs at most the limit to refuse.
                const long limit = OnnxWeightImporter.MaximumModelBytes + 4;
                string tooLarge = $"{source}: the ONNX model in '{entry.FullName}' takes more than {OnnxWeightImporter.MaximumModelBytes >> 20} MiB, " +
                    "the most the importer reads (over four times the largest network this library builds for 1,000 classes); the file is damaged or not a model of this library.";
                if (entry.Length > limit)
                    throw new InvalidDataException(tooLarge);
                using var stream = entry.Open();
                using var buffer = new MemoryStream((int)entry.Length);
                var chunk = new byte[1 << 16];
                for (int read; (read = stream.Read(chunk)) > 0;)
                {
                    if (buffer.Length + read > limit)
                        throw new InvalidDataException(tooLarge);
                    buffer.Write(chunk, 0, read);
                }
                var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
                if (bytes.Length < 4 || BinaryPrimitives.ReadInt32LittleEndian(bytes) != bytes.Length - 4)
                    throw new InvalidDataException($"{source}: the ONNX model in '{entry.FullName}' is truncated.");
                var model = Onnx.ModelProto.Parser.ParseFrom(bytes[4..]);
                if (model.ProducerName == OnnxGraphBuilder.ProducerName)
                    found.Add(model);
            }
        }
        catch (Exception e) when (e is InvalidDataException or InvalidProtocolBufferException or IOException)
        {
            throw new InvalidDataException(
                $"{source} is not a readable ML.NET model zip (truncated, corrupt, or not a model): {e.Message}", e);
        }
        return found.Count switch
        {
            1 => (found[0], source),
            0 => throw new InvalidDataException($"{source} holds no GoogLeNet network saved by MLNet.GoogLeNet."),
            _ => throw new InvalidDataException($"{source} holds {found.Count} GoogLeNet networks; rebuilding one needs a zip with one."),
        };
    }

    /// <summary>ONNX Runtime's own error in <paramref name="exception"/> or its inner exceptions (ML.NET wraps it), or null.</summary>
    private static Microsoft.ML.OnnxRuntime.OnnxRuntimeException? OnnxRuntimeError(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is Microsoft.ML.OnnxRuntime.OnnxRuntimeException onnx)
                return onnx;
        }
        return null;
    }
}
