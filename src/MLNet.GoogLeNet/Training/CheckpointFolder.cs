using System.Globalization;
using System.Text.RegularExpressions;

namespace MLNet.GoogLeNet.Training;

/// <summary>
/// The checkpoints of a run in one folder, named by their position (<c>checkpoint-e0003-b000120.ckpt</c>: epoch 3
/// after 120 batches; an epoch's end has the epoch's batch count), so that the names sort in training order. Keeps the
/// last few and finds the latest.
/// </summary>
internal sealed partial class CheckpointFolder(string folder, int keep)
{
    public const string Extension = ".ckpt";

    public string Folder { get; } = folder;

    /// <summary>The file name of the checkpoint at (<paramref name="epoch"/>, <paramref name="batchesDone"/>).</summary>
    public static string FileName(int epoch, long batchesDone) =>
        string.Create(CultureInfo.InvariantCulture, $"checkpoint-e{epoch:D4}-b{batchesDone:D6}{Extension}");

    /// <summary>Writes a checkpoint at the manifest's position, then deletes all but the last <c>keep</c> checkpoints.</summary>
    /// <returns>The path written.</returns>
    public string Write(CheckpointManifest manifest, IReadOnlyList<(string Name, TorchSharp.torch.Tensor Tensor)> tensors)
    {
        string path = Path.Combine(Folder, FileName(manifest.Position.Epoch, manifest.Position.BatchesDone));
        Checkpoint.Write(path, manifest, tensors);
        foreach (var old in Checkpoints(Folder).SkipLast(keep))
            File.Delete(old);
        // A process killed while writing leaves its temporary file (AtomicFile's ".name.id.tmp") behind; the run that
        // writes here now removes them.
        foreach (var stale in Directory.EnumerateFiles(Folder, ".checkpoint-*" + Extension + ".*.tmp"))
            File.Delete(stale);
        return path;
    }

    /// <summary>
    /// The checkpoint <paramref name="path"/> names: the file itself, or the latest checkpoint in the folder.
    /// </summary>
    /// <exception cref="FileNotFoundException">Neither a file nor a folder with checkpoints (the message says which).</exception>
    public static string Resolve(string path)
    {
        if (File.Exists(path))
            return path;
        if (!Directory.Exists(path))
            throw new FileNotFoundException($"There is no checkpoint file or folder '{path}'.", path);
        return Checkpoints(path).LastOrDefault()
            ?? throw new FileNotFoundException(
                $"Checkpoint folder '{path}' holds no checkpoints (checkpoint-e*-b*{Extension} files).", path);
    }

    /// <summary>The checkpoints in <paramref name="folder"/>, oldest first.</summary>
    public static IEnumerable<string> Checkpoints(string folder) =>
        Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "checkpoint-*" + Extension)
                .Where(file => NamePattern().IsMatch(Path.GetFileName(file)))
                .Order(StringComparer.Ordinal)
            : [];

    [GeneratedRegex(@"^checkpoint-e\d{4,}-b\d{6,}\.ckpt$")]
    private static partial Regex NamePattern();
}
