using System.Globalization;
using System.Text.RegularExpressions;

namespace MLNet.GoogLeNet.Training;

/// <summary>
/// The checkpoints of a run in one folder, named by their position (<c>checkpoint-e0003-b000120.ckpt</c>: epoch 3
/// after 120 batches; an epoch's end has the epoch's batch count), so that the names sort in training order. Keeps the
/// last few and finds the latest.
/// </summary>
/// <remarks>
/// One run writes to a folder at a time: <see cref="Open"/> takes an exclusive lock on the folder's
/// <see cref="LockFileName"/> and holds it until <see cref="Dispose"/>, so that a second run given the same folder is
/// refused at its start instead of deleting the first one's checkpoints and temporary files. The lock belongs to the
/// open file (<see cref="FileShare.None"/>: <c>flock</c> on Linux and macOS, a sharing mode on Windows), so the operating
/// system releases it when the process ends, however it ends: a crashed or killed run leaves the file, never the lock.
/// </remarks>
internal sealed partial class CheckpointFolder : IDisposable
{
    public const string Extension = ".ckpt";

    /// <summary>The file in the folder whose lock says a run is writing there.</summary>
    public const string LockFileName = ".googlenet.lock";

    private readonly int _keep;
    private readonly FileStream _lock;

    private CheckpointFolder(string folder, int keep, FileStream held)
    {
        Folder = folder;
        _keep = keep;
        _lock = held;
    }

    public string Folder { get; }

    /// <summary>
    /// Creates <paramref name="folder"/> when needed and takes its lock for this run, which keeps the latest
    /// <paramref name="keep"/> checkpoints there.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another run (in this process or another) holds the folder; the
    /// message names it.</exception>
    public static CheckpointFolder Open(string folder, int keep)
    {
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, LockFileName);
        FileStream held;
        try
        {
            // The file stays empty: on Linux and macOS .NET locks every FileStream it opens (shared for readers), so
            // nothing written in it could be read by the run it refuses.
            held = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException))
        {
            throw new InvalidOperationException(
                $"Checkpoint folder '{folder}' is in use by another training run (its lock file {LockFileName} is held); two runs " +
                "writing to one folder would delete each other's checkpoints. Give this run another checkpoint folder, or wait for that run " +
                "to end (the lock goes with its process, however it ends).", e);
        }
        return new CheckpointFolder(folder, keep, held);
    }

    /// <summary>Releases the folder to other runs (the lock file stays; its lock is what counts).</summary>
    public void Dispose() => _lock.Dispose();

    /// <summary>The file name of the checkpoint at (<paramref name="epoch"/>, <paramref name="batchesDone"/>).</summary>
    public static string FileName(int epoch, long batchesDone) =>
        string.Create(CultureInfo.InvariantCulture, $"checkpoint-e{epoch:D4}-b{batchesDone:D6}{Extension}");

    /// <summary>Writes a checkpoint at the manifest's position, then deletes all but the last <c>keep</c> checkpoints.</summary>
    /// <returns>The path written.</returns>
    public string Write(CheckpointManifest manifest, IReadOnlyList<(string Name, TorchSharp.torch.Tensor Tensor)> tensors)
    {
        string path = Path.Combine(Folder, FileName(manifest.Position.Epoch, manifest.Position.BatchesDone));
        Checkpoint.Write(path, manifest, tensors);
        foreach (var old in Checkpoints(Folder).SkipLast(_keep))
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
