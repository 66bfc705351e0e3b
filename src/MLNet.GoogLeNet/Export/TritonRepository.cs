using System.Globalization;
using System.Text;
using Google.Protobuf;
using Onnx;

namespace MLNet.GoogLeNet.Export;

/// <summary>
/// A Triton Inference Server model repository for one ONNX model: <c>DIR/NAME/1/model.onnx</c>,
/// <c>DIR/NAME/config.pbtxt</c> (ONNX Runtime back end, the graph's input and output with their types and
/// per-request dimensions, a maximum batch size and dynamic batching) and <c>DIR/NAME/labels.txt</c> (one class name
/// a line, in output order, referenced by the output's <c>label_filename</c> so that Triton's classification
/// extension answers with names).
/// </summary>
internal static class TritonRepository
{
    public const string LabelsFileName = "labels.txt";
    public const string ConfigFileName = "config.pbtxt";
    public const string ModelFileName = "model.onnx";

    /// <summary>The model's version folder: Triton serves the highest numbered version by default.</summary>
    public const string Version = "1";

    /// <summary>
    /// Writes the repository entry <paramref name="modelName"/> under <paramref name="directory"/> as a set: everything is
    /// checked first (the name, the class names, the batch size, the graph's types), then the three files are written
    /// into a temporary folder beside it, which is renamed into place, replacing the model's folder as a whole. A failed
    /// export leaves the previous folder as it was and no temporary folder behind. Returns the model's folder.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not a plain folder name, a class name holds a line break, or the
    /// batch size is not positive; nothing has been written.</exception>
    public static string Write(string directory, string modelName, ModelProto model, IReadOnlyList<string> classNames, int maxBatchSize)
    {
        Check(modelName, classNames);
        string config = Config(modelName, model, maxBatchSize);
        byte[] labels = Encoding.UTF8.GetBytes(string.Concat(classNames.Select(n => n + "\n")));

        Directory.CreateDirectory(directory);
        string folder = Path.Combine(directory, modelName);
        string id = Guid.NewGuid().ToString("N");
        string staged = Path.Combine(directory, $".{modelName}.{id}.tmp");
        string previous = Path.Combine(directory, $".{modelName}.{id}.old");
        try
        {
            Directory.CreateDirectory(Path.Combine(staged, Version));
            WriteFile(Path.Combine(staged, Version, ModelFileName), model.WriteTo);
            WriteFile(Path.Combine(staged, LabelsFileName), stream => stream.Write(labels));
            WriteFile(Path.Combine(staged, ConfigFileName), stream => stream.Write(Encoding.UTF8.GetBytes(config)));
            if (Directory.Exists(folder))
            {
                // A folder cannot be renamed over another: the old one steps aside, the new one takes its name, and the
                // old one comes back if that fails.
                Directory.Move(folder, previous);
                try
                {
                    Directory.Move(staged, folder);
                }
                catch
                {
                    Directory.Move(previous, folder);
                    throw;
                }
                Directory.Delete(previous, recursive: true);
            }
            else
            {
                Directory.Move(staged, folder);
            }
            return folder;
        }
        finally
        {
            if (Directory.Exists(staged))
                Directory.Delete(staged, recursive: true);
        }
    }

    /// <summary>
    /// Checks what <see cref="Write"/> is given apart from the model: a plain folder name, and class names that a labels
    /// file of one name a line can hold. A caller writing other files with the same export checks first, so that a
    /// refusal comes before anything is written.
    /// </summary>
    /// <exception cref="ArgumentException">The name or a class name cannot be written; the message says which.</exception>
    public static void Check(string modelName, IReadOnlyList<string> classNames)
    {
        CheckName(modelName);
        foreach (string name in classNames)
        {
            if (name.Contains('\n', StringComparison.Ordinal) || name.Contains('\r', StringComparison.Ordinal))
                throw new ArgumentException(
                    $"Class name '{name.ReplaceLineEndings("\\n")}' holds a line break, which a Triton labels file (one name a line) cannot hold: " +
                    "rename the class and train or export again; nothing was written.", nameof(classNames));
        }
    }

    private static void WriteFile(string path, Action<Stream> write)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        write(stream);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>
    /// The <c>config.pbtxt</c> of <paramref name="model"/>: its one input and one output, float, without the batch
    /// dimension (Triton adds it when <c>max_batch_size</c> is above 0).
    /// </summary>
    public static string Config(string modelName, ModelProto model, int maxBatchSize)
    {
        CheckName(modelName);
        if (maxBatchSize < 1)
            throw new ArgumentException($"The maximum batch size must be at least 1; got {maxBatchSize}.", nameof(maxBatchSize));
        var input = model.Graph.Input.Single();
        var output = model.Graph.Output.Single();
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"name: \"{modelName}\"\n");
        text.Append("platform: \"onnxruntime_onnx\"\n");
        text.Append(CultureInfo.InvariantCulture, $"max_batch_size: {maxBatchSize}\n");
        text.Append("input [\n");
        Tensor(text, input, labels: false);
        text.Append("]\n");
        text.Append("output [\n");
        Tensor(text, output, labels: true);
        text.Append("]\n");
        // Requests arriving together are scored as one batch, up to max_batch_size.
        text.Append("dynamic_batching { }\n");
        return text.ToString();
    }

    private static void Tensor(StringBuilder text, ValueInfoProto value, bool labels)
    {
        var elementType = (TensorProto.Types.DataType)value.Type.TensorType.ElemType;
        if (elementType != TensorProto.Types.DataType.Float)
            throw new NotSupportedException($"ONNX value '{value.Name}' is {elementType}; the Triton export writes float tensors only.");
        var dims = value.Type.TensorType.Shape.Dim.Skip(1).Select(d => d.DimValue.ToString(CultureInfo.InvariantCulture));
        text.Append("  {\n");
        text.Append(CultureInfo.InvariantCulture, $"    name: \"{value.Name}\"\n");
        text.Append("    data_type: TYPE_FP32\n");
        text.Append(CultureInfo.InvariantCulture, $"    dims: [ {string.Join(", ", dims)} ]\n");
        if (labels)
            text.Append(CultureInfo.InvariantCulture, $"    label_filename: \"{LabelsFileName}\"\n");
        text.Append("  }\n");
    }

    private static void CheckName(string modelName)
    {
        if (string.IsNullOrWhiteSpace(modelName) || modelName.IndexOfAny(['/', '\\', '"']) >= 0 || modelName is "." or "..")
            throw new ArgumentException(
                $"The Triton model name '{modelName}' must be a plain folder name (no slashes or quotes).", nameof(modelName));
    }
}
