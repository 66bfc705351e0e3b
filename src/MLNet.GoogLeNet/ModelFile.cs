using Microsoft.ML;
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
