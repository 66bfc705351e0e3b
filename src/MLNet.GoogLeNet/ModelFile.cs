using System.Buffers.Binary;
using System.IO.Compression;
using Google.Protobuf;
using Microsoft.ML;
using MLNet.GoogLeNet.Export;
using MLNet.GoogLeNet.IO;

namespace MLNet.GoogLeNet;

/// <summary>
/// Saving and loading ML.NET model zips with clear errors: a save never leaves a partial file under the target
/// name, and a missing, truncated or corrupt zip is reported with its path.
/// </summary>
public static class ModelFile
{
    /// <summary>
    /// Saves <paramref name="model"/> (any ML.NET transformer, such as a fitted pipeline ending in GoogLeNet) and its input
    /// schema to <paramref name="path"/>: written under a temporary name in the same folder, then renamed over the target.
    /// If saving fails, the target keeps what it held before.
    /// </summary>
    public static void Save(MLContext context, ITransformer model, DataViewSchema inputSchema, string path)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        AtomicFile.Write(path, stream => context.Model.Save(model, inputSchema, stream));
    }

    /// <summary>Loads a model zip saved by ML.NET (by <see cref="Save"/> or <c>mlContext.Model.Save</c>).</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a complete ML.NET model zip; the message names it.</exception>
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
                using var stream = entry.Open();
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
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
            1 => OnnxWeightImporter.Import(found[0], source),
            0 => throw new InvalidDataException($"{source} holds no GoogLeNet network saved by MLNet.GoogLeNet."),
            _ => throw new InvalidDataException($"{source} holds {found.Count} GoogLeNet networks; rebuilding one needs a zip with one."),
        };
    }
}
