using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;
using MLNet.GoogLeNet.IO;
using MLNet.GoogLeNet.Modules;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Training;

/// <summary>
/// A checkpoint file: a zip holding <c>manifest.json</c> (<see cref="CheckpointManifest"/>) and <c>tensors.bin</c>
/// (<see cref="TensorArchive"/>): the network's state (weights and batch-normalisation statistics) under
/// <c>network/</c>, the optimiser's moments under <c>optimizer/</c>, and with early stopping the best epoch's state
/// under <c>best/</c>. Written atomically; read whole, its tensors on the CPU until restored.
/// </summary>
internal sealed class Checkpoint : IDisposable
{
    public const string NetworkPrefix = "network/";
    public const string BestPrefix = "best/";
    private const string OptimizerPrefix = "optimizer/";
    private const string ManifestEntry = "manifest.json";
    private const string TensorsEntry = "tensors.bin";

    /// <summary>
    /// The most bytes a manifest may take: 16 MiB, thousands of times what the longest run's reports and options write;
    /// a larger one is a damaged or hostile file, refused before it is read.
    /// </summary>
    private const long MaximumManifestBytes = 16 << 20;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private Checkpoint(string path, CheckpointManifest manifest, Dictionary<string, Tensor> tensors)
    {
        Path = path;
        Manifest = manifest;
        Tensors = tensors;
    }

    /// <summary>The file it was read from.</summary>
    public string Path { get; }

    public CheckpointManifest Manifest { get; }

    /// <summary>The stored tensors by name, on the CPU.</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors { get; }

    /// <summary>Writes a checkpoint to <paramref name="path"/> atomically (a reader sees the old file or the new one, never a part).</summary>
    public static void Write(string path, CheckpointManifest manifest, IReadOnlyList<(string Name, Tensor Tensor)> tensors) =>
        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            using (var entry = zip.CreateEntry(ManifestEntry, CompressionLevel.Fastest).Open())
                JsonSerializer.Serialize(entry, manifest, Json);
            // Weights barely compress; storing them keeps writing a checkpoint cheap next to a training step.
            using (var entry = zip.CreateEntry(TensorsEntry, CompressionLevel.NoCompression).Open())
                TensorArchive.Write(entry, tensors);
        });

    /// <summary>Reads the checkpoint at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not a checkpoint of this library (the message says why).</exception>
    public static Checkpoint Read(string path) => Open(path, (zip, manifest) =>
    {
        var tensorsEntry = zip.GetEntry(TensorsEntry)!;
        // Stored, never compressed (Write stores it): its length is then bounded by the file's, and so is everything
        // the archive may announce; a compressed entry could claim any length for a few bytes.
        long fileLength = new FileInfo(path).Length;
        if (tensorsEntry.CompressedLength != tensorsEntry.Length || tensorsEntry.Length > fileLength)
            throw new InvalidDataException(
                $"Checkpoint '{path}' is damaged: its {TensorsEntry} claims {tensorsEntry.Length} bytes stored in {tensorsEntry.CompressedLength} " +
                $"of a {fileLength}-byte file (this library stores it uncompressed). Resume from an earlier checkpoint, or train again.");
        using var tensorStream = tensorsEntry.Open();
        return new Checkpoint(path, manifest, TensorArchive.Read(tensorStream, $"Checkpoint '{path}'", tensorsEntry.Length));
    });

    /// <summary>
    /// Reads the manifest of the checkpoint at <paramref name="path"/> alone (what it was trained with and where it
    /// stands), without its tensors; the file's checks up to them are <see cref="Read"/>'s.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not a checkpoint of this library (the message says why).</exception>
    public static CheckpointManifest ReadManifest(string path) => Open(path, (_, manifest) => manifest);

    /// <summary>
    /// Opens the checkpoint at <paramref name="path"/>, checks it has both entries and reads its manifest (its format
    /// first), then gives both to <paramref name="read"/>; any failure is reported naming the file.
    /// </summary>
    private static T Open<T>(string path, Func<ZipArchive, CheckpointManifest, T> read)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var manifestEntry = zip.GetEntry(ManifestEntry);
            var tensorsEntry = zip.GetEntry(TensorsEntry);
            if (manifestEntry is null || tensorsEntry is null)
                throw new InvalidDataException($"'{path}' is not a checkpoint: it has no {(manifestEntry is null ? ManifestEntry : TensorsEntry)}.");
            if (manifestEntry.Length > MaximumManifestBytes)
                throw new InvalidDataException(
                    $"Checkpoint '{path}' is damaged: its {ManifestEntry} claims {manifestEntry.Length} bytes, more than the {MaximumManifestBytes} a manifest may take.");
            CheckpointManifest manifest;
            using (var stream = manifestEntry.Open())
            using (var document = JsonDocument.Parse(stream))
            {
                // The format first: the rest of a manifest of another layout would fail to read, or read wrong.
                int format = ManifestFormat(document.RootElement)
                    ?? throw new InvalidDataException($"'{path}' is not a checkpoint of this library: its {ManifestEntry} has no format number.");
                if (format != CheckpointManifest.CurrentFormat)
                    throw new InvalidDataException(
                        $"'{path}' is a checkpoint of format {format}, which this version of the library does not read (it reads format " +
                        $"{CheckpointManifest.CurrentFormat}): resume it with the version that wrote it.");
                manifest = document.Deserialize<CheckpointManifest>(Json)
                    ?? throw new InvalidDataException($"'{path}': {ManifestEntry} is empty.");
            }
            return read(zip, manifest);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException || (e is InvalidDataException && e.Message.IndexOf(path, StringComparison.Ordinal) < 0))
        {
            throw new InvalidDataException($"'{path}' is not a readable checkpoint: {e.Message}", e);
        }
    }

    /// <summary>The manifest's <see cref="CheckpointManifest.Format"/>, or null when it has none.</summary>
    private static int? ManifestFormat(JsonElement manifest) =>
        manifest.ValueKind == JsonValueKind.Object
        && manifest.TryGetProperty(nameof(CheckpointManifest.Format), out var format)
        && format.ValueKind == JsonValueKind.Number
        && format.TryGetInt32(out int value)
            ? value
            : null;

    /// <summary>The network's state under <paramref name="prefix"/>, for <see cref="Write"/>.</summary>
    public static IEnumerable<(string, Tensor)> NetworkTensors(GoogLeNetNetwork network, string prefix = NetworkPrefix) =>
        network.state_dict().Select(pair => (prefix + pair.Key, pair.Value));

    /// <summary>
    /// The optimiser's state for <see cref="Write"/>: each parameter's moments (Adam, AdamW) or momentum buffer (SGD), in
    /// the optimiser's order; Adam's per-parameter step counts go to <paramref name="steps"/>.
    /// </summary>
    public static List<(string, Tensor)> OptimizerTensors(optim.Optimizer optimizer, List<long> steps)
    {
        var tensors = new List<(string, Tensor)>();
        var states = ((OptimizerHelper)optimizer).state_dict().State;
        for (int i = 0; i < states.Count; i++)
        {
            void Add(string field, Tensor? tensor)
            {
                if (tensor is not null)
                    tensors.Add(($"{OptimizerPrefix}{i}/{field}", tensor));
            }
            switch (states[i])
            {
                case Adam.State adam:
                    steps.Add(adam.step);
                    Add("exp_avg", adam.exp_avg);
                    Add("exp_avg_sq", adam.exp_avg_sq);
                    Add("max_exp_avg_sq", adam.max_exp_avg_sq);
                    break;
                case AdamW.State adamW:
                    steps.Add(adamW.step);
                    Add("exp_avg", adamW.exp_avg);
                    Add("exp_avg_sq", adamW.exp_avg_sq);
                    Add("max_exp_avg_sq", adamW.max_exp_avg_sq);
                    break;
                case SGD.State sgd:
                    Add("momentum_buffer", sgd.momentum_buffer);
                    break;
                default:
                    throw new NotSupportedException($"Checkpoints cannot hold the state of optimiser state {states[i].GetType().Name}.");
            }
        }
        return tensors;
    }

    /// <summary>
    /// Copies the stored state under <paramref name="prefix"/> into <paramref name="network"/>'s tensors in place (their
    /// device and memory layout stay); entries for which <paramref name="include"/> is false are left as they are.
    /// </summary>
    /// <exception cref="InvalidDataException">A tensor is missing or of another shape.</exception>
    public void RestoreNetwork(GoogLeNetNetwork network, string prefix = NetworkPrefix, Func<string, bool>? include = null)
    {
        using var noGrad = no_grad();
        foreach (var (name, tensor) in network.state_dict())
        {
            if (include is not null && !include(name))
                continue;
            tensor.copy_(Stored(prefix + name, tensor.shape));
        }
    }

    /// <summary>Writes the stored optimiser state into <paramref name="optimizer"/>, made for the same parameters in the same order.</summary>
    /// <exception cref="InvalidDataException">The stored state is of another optimiser or other parameters.</exception>
    public void RestoreOptimizer(optim.Optimizer optimizer)
    {
        using var noGrad = no_grad();
        var states = ((OptimizerHelper)optimizer).state_dict().State;
        var steps = Manifest.OptimizerSteps;
        for (int i = 0; i < states.Count; i++)
        {
            string key = $"{OptimizerPrefix}{i}/";
            switch (states[i])
            {
                case Adam.State adam:
                    adam.step = StepOf(i);
                    Copy(adam.exp_avg, key + "exp_avg");
                    Copy(adam.exp_avg_sq, key + "exp_avg_sq");
                    Copy(adam.max_exp_avg_sq, key + "max_exp_avg_sq");
                    break;
                case AdamW.State adamW:
                    adamW.step = StepOf(i);
                    Copy(adamW.exp_avg, key + "exp_avg");
                    Copy(adamW.exp_avg_sq, key + "exp_avg_sq");
                    Copy(adamW.max_exp_avg_sq, key + "max_exp_avg_sq");
                    break;
                case SGD.State sgd when Tensors.ContainsKey(key + "momentum_buffer"):
                    if (sgd.momentum_buffer is null)
                    {
                        var stored = Tensors[key + "momentum_buffer"];
                        sgd.momentum_buffer = empty_like(stored, device: optimizer.parameters().First().device).copy_(stored);
                    }
                    else
                    {
                        Copy(sgd.momentum_buffer, key + "momentum_buffer");
                    }
                    break;
                case SGD.State:
                    break;  // no momentum, or no step taken yet
                default:
                    throw new NotSupportedException($"Checkpoints cannot hold the state of optimiser state {states[i].GetType().Name}.");
            }
        }

        long StepOf(int i) => i < steps.Count
            ? steps[i]
            : throw new InvalidDataException($"'{Path}' holds the state of {steps.Count} parameters' optimiser, the network has more.");

        void Copy(Tensor? target, string name)
        {
            if (target is not null)
                target.copy_(Stored(name, target.shape));
        }
    }

    private Tensor Stored(string name, long[] shape)
    {
        if (!Tensors.TryGetValue(name, out var stored))
            throw new InvalidDataException($"'{Path}' lacks tensor '{name}': it was written for another network or optimiser.");
        if (!stored.shape.SequenceEqual(shape))
            throw new InvalidDataException(
                $"'{Path}': tensor '{name}' has shape [{string.Join(", ", stored.shape)}], the network's has [{string.Join(", ", shape)}].");
        return stored;
    }

    public void Dispose()
    {
        foreach (var tensor in Tensors.Values)
            tensor.Dispose();
    }
}
