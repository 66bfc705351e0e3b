using MLNet.GoogLeNet.IO;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Export;

/// <summary>
/// A network's weights as a PyTorch <c>state_dict</c> file — PyTorch's pickle format (what <c>torch.save</c> writes,
/// <c>torch.load</c> reads; conventionally <c>.pt</c> or <c>.pth</c>) or safetensors (<c>.safetensors</c>). PyTorch files
/// are read in both of its formats, the zip archive of 1.6 and later and the one before it (<see cref="Pickle.TorchSaveFile"/>),
/// and written in the zip format, as safetensors files are, through TorchSharp.PyBridge. The keys are the network's state-dict keys (<c>b3.0.path2.conv.conv.weight</c>,
/// <c>dense.bias</c>, …); a PyTorch module with the same names loads them with <c>load_state_dict</c> (docs/export.md).
/// </summary>
internal static class StateDictFile
{
    /// <summary>Whether <paramref name="path"/> names a state-dict file by its extension (.pt, .pth or .safetensors).</summary>
    public static bool IsStateDict(string path) =>
        IsSafetensors(path) || Path.GetExtension(path).ToLowerInvariant() is ".pt" or ".pth";

    /// <summary>True when <paramref name="path"/> names a safetensors file (by its extension); otherwise PyTorch's format.</summary>
    public static bool IsSafetensors(string path) => string.Equals(Path.GetExtension(path), ".safetensors", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Writes every parameter and buffer of <paramref name="module"/> to <paramref name="path"/> (format by extension,
    /// see <see cref="IsSafetensors"/>), as contiguous CPU tensors; written under a temporary name, then renamed.
    /// </summary>
    public static void Save(nn.Module module, string path)
    {
        using var scope = NewDisposeScope();
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, value) in module.state_dict())
            state[name] = value.detach().cpu().contiguous();
        AtomicFile.Write(path, stream =>
        {
            if (IsSafetensors(path))
                Safetensors.SaveStateDict(stream, state, leaveOpen: true);
            else
                PyTorchPickler.PickleStateDict(stream, state, leaveOpen: true);
        });
    }

    /// <summary>Reads every tensor of a state-dict file (format by extension), as CPU tensors the caller disposes.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable state dict of that format, or a tensor holds a
    /// NaN or infinite value (<see cref="FiniteWeights"/>); the message names the file (and the key).</exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        var state = ReadAny(path);
        try
        {
            foreach (var (key, tensor) in state)
                FiniteWeights.Check(tensor, key, $"Weights file '{path}'");
            return state;
        }
        catch
        {
            foreach (var tensor in state.Values)
                tensor.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The keys of a state-dict file (format by extension), without reading its tensors: what a file's network is
    /// recognised by (<see cref="Modules.ArchitectureByKeys"/>) before it is loaded.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable state dict of that format; the message names the file.</exception>
    public static IReadOnlyList<string> ReadKeys(string path) => Reading(path, stream =>
        IsSafetensors(path) ? SafetensorsKeys(stream) : Pickle.TorchSaveFile.ReadKeys(stream));

    private static Dictionary<string, Tensor> ReadAny(string path) => Reading(path, stream =>
        IsSafetensors(path) ? Safetensors.LoadStateDict(stream) : Pickle.TorchSaveFile.Read(stream));

    /// <summary><paramref name="read"/> on the open file at <paramref name="path"/>, its failures said with the file's name and format.</summary>
    private static T Reading<T>(string path, Func<Stream, T> read)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Weights file '{path}' does not exist.", path);
        try
        {
            using var stream = File.OpenRead(path);
            return read(stream);
        }
        catch (Exception e) when (e is not FileNotFoundException and not OutOfMemoryException)
        {
            string format = IsSafetensors(path) ? "safetensors" : "PyTorch state_dict (torch.save of a module's state_dict())";
            throw new InvalidDataException($"Weights file '{path}' is not a readable {format} file: {e.Message}.", e);
        }
    }

    /// <summary>
    /// The tensor names in a safetensors header: a little-endian 64-bit length, then that many bytes of JSON whose keys
    /// are the names (and "__metadata__").
    /// </summary>
    private static List<string> SafetensorsKeys(Stream stream)
    {
        var lengthBytes = new byte[8];
        stream.ReadExactly(lengthBytes);
        ulong length = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (length > (ulong)Math.Max(0, stream.Length - 8))
            throw new InvalidDataException($"its header claims {length:N0} bytes, more than the file holds");
        var header = new byte[length];
        stream.ReadExactly(header);
        using var json = System.Text.Json.JsonDocument.Parse(header);
        return [.. json.RootElement.EnumerateObject().Select(p => p.Name).Where(name => name != "__metadata__")];
    }

    /// <summary>
    /// Sets every parameter and buffer of <paramref name="module"/> from the state-dict file <paramref name="path"/>,
    /// which must hold exactly the module's keys with the same shapes (values are converted to the module's types and device).
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is unreadable, a key is missing or extra, or a shape differs; the message names the file and the keys.</exception>
    public static void Load(nn.Module module, string path)
    {
        var loaded = Read(path);
        try
        {
            Load(module, loaded, path);
        }
        finally
        {
            foreach (var tensor in loaded.Values)
                tensor.Dispose();
        }
    }

    /// <summary>
    /// Sets every parameter and buffer of <paramref name="module"/> from <paramref name="loaded"/>, read from
    /// <paramref name="path"/>, which must hold exactly the module's keys; each with the module's shape, except those
    /// <paramref name="keep"/> names, which must be there but stay as they are (a new classifier head).
    /// </summary>
    /// <exception cref="InvalidDataException">A key is missing or extra, or a shape differs; the message names the file, the key and both shapes.</exception>
    public static void Load(nn.Module module, IReadOnlyDictionary<string, Tensor> loaded, string path, Func<string, bool>? keep = null)
    {
        var target = module.state_dict();
        var missing = target.Keys.Where(k => !loaded.ContainsKey(k)).ToList();
        var extra = loaded.Keys.Where(k => !target.ContainsKey(k)).ToList();
        if (missing.Count > 0 || extra.Count > 0)
            throw new InvalidDataException(
                $"Weights file '{path}' does not fit the network: " +
                (missing.Count > 0 ? $"{missing.Count} of its weights are missing ({Few(missing)})" : "") +
                (missing.Count > 0 && extra.Count > 0 ? "; " : "") +
                (extra.Count > 0 ? $"{extra.Count} keys are not in the network ({Few(extra)})" : "") +
                ". Its keys must be the network's state-dict keys (docs/export.md).");
        var copied = target.Where(entry => keep is null || !keep(entry.Key)).ToList();
        foreach (var (name, value) in copied)
        {
            if (!loaded[name].shape.SequenceEqual(value.shape))
                throw new InvalidDataException(
                    $"Weights file '{path}': '{name}' has shape ({string.Join(", ", loaded[name].shape)}); the network needs " +
                    $"({string.Join(", ", value.shape)}). Use the architecture, width divisor, image channels and class count the weights were trained with.");
        }
        using var noGrad = no_grad();
        foreach (var (name, value) in copied)
            value.copy_(loaded[name]);
    }

    private static string Few(List<string> keys) => string.Join(", ", keys.Take(3)) + (keys.Count > 3 ? ", …" : "");
}
