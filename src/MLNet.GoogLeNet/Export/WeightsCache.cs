using System.Security.Cryptography;

namespace MLNet.GoogLeNet.Export;

/// <summary>
/// Where a <see cref="PublishedWeights"/> file is kept: PyTorch's hub cache, <c>$TORCH_HOME/hub/checkpoints</c> (by
/// default <c>~/.cache/torch/hub/checkpoints</c>), so a file torchvision fetched before is used as it is and one fetched
/// here serves torchvision too. A file not there is downloaded into a temporary file in that folder, its SHA-256
/// checked against the name's prefix, then renamed into place: an interrupted or wrong download leaves nothing, and two
/// processes fetching at once each rename a whole, checked file. <c>GOOGLENET_OFFLINE=1</c> forbids downloading.
/// </summary>
internal static class WeightsCache
{
    /// <summary>The environment variable that, set to 1, forbids downloads.</summary>
    public const string OfflineVariable = "GOOGLENET_OFFLINE";

    /// <summary>PyTorch's hub cache folder for weights files.</summary>
    public static string Folder
    {
        get
        {
            string? torchHome = Environment.GetEnvironmentVariable("TORCH_HOME");
            if (string.IsNullOrEmpty(torchHome))
            {
                string? cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
                torchHome = Path.Combine(string.IsNullOrEmpty(cache)
                    ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache")
                    : cache, "torch");
            }
            return Path.Combine(torchHome, "hub", "checkpoints");
        }
    }

    /// <summary>
    /// The local file <paramref name="weights"/> names: a path as it is; published weights, by name or by address
    /// (<see cref="PublishedWeights.Find"/>), fetched or found in the cache (<see cref="Fetch"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">Published weights that cannot be fetched; see <see cref="Fetch"/>.</exception>
    public static string Resolve(string weights, IProgress<(long Done, long? Total)>? progress = null) =>
        PublishedWeights.Find(weights) is { } published ? Fetch(published, progress) : weights;

    /// <summary>
    /// The local path of <paramref name="weights"/>: the cached file when it is there and its hash is right, else the
    /// file downloaded now (unless <see cref="OfflineVariable"/> forbids it), reporting bytes done and the total.
    /// </summary>
    /// <exception cref="InvalidOperationException">The file is not cached and cannot be downloaded, or its hash is wrong;
    /// the message names the address and the folder where the file may be put by hand.</exception>
    public static string Fetch(PublishedWeights weights, IProgress<(long Done, long? Total)>? progress = null, HttpClient? client = null)
    {
        string folder = Folder;
        string path = Path.Combine(folder, weights.FileName);
        if (File.Exists(path))
        {
            string cached = Sha256(path);
            if (!cached.StartsWith(weights.Sha256Prefix, StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException(
                    $"{weights.Name}: the cached file {path} has the SHA-256 {cached}, not one starting {weights.Sha256Prefix}: it is damaged. " +
                    $"Delete it to download it again from {weights.Url}.");
            return path;
        }
        if (Environment.GetEnvironmentVariable(OfflineVariable) == "1")
            throw new InvalidOperationException(
                $"{weights.Name}: {weights.FileName} is not in {folder}, and {OfflineVariable}=1 forbids downloading it. Download {weights.Url} " +
                $"on a machine that can and put it in that folder (or the folder $TORCH_HOME/hub/checkpoints of another TORCH_HOME).");
        Directory.CreateDirectory(folder);
        string temporary = Path.Combine(folder, $".{weights.FileName}.{Guid.NewGuid():N}.partial");
        try
        {
            string hash = Download(weights.Url, temporary, progress, client);
            if (!hash.StartsWith(weights.Sha256Prefix, StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException(
                    $"{weights.Name}: the file downloaded from {weights.Url} has the SHA-256 {hash}, not one starting {weights.Sha256Prefix}: " +
                    "it is not the published file, and was not kept.");
            File.Move(temporary, path, overwrite: true);
            return path;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException(
                $"{weights.Name}: downloading {weights.Url} failed ({e.Message}). Without a network, download it elsewhere and put it in " +
                $"{folder} as {weights.FileName}.", e);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Writes the body at <paramref name="url"/> to <paramref name="path"/> and returns its SHA-256 in hex.</summary>
    private static string Download(string url, string path, IProgress<(long Done, long? Total)>? progress, HttpClient? client)
    {
        using var own = client is null ? new HttpClient() : null;
        var http = client ?? own!;
        using var response = http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead).GetAwaiter().GetResult();
        response.EnsureSuccessStatusCode();
        long? total = response.Content.Headers.ContentLength;
        using var body = response.Content.ReadAsStream();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            var buffer = new byte[1 << 16];
            long done = 0;
            for (int read; (read = body.Read(buffer)) > 0;)
            {
                file.Write(buffer, 0, read);
                hash.AppendData(buffer, 0, read);
                done += read;
                progress?.Report((done, total));
            }
            if (total is { } length && done != length)
                throw new IOException($"the server announced {length:N0} bytes and sent {done:N0}");
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
