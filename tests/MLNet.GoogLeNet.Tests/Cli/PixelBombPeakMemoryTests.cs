using System.Diagnostics;
using System.Globalization;
using System.Text;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Cli;

/// <summary>
/// A 45-byte PNG announcing 40000×40000 pixels (1.6 billion, 6.4 GB as RGBA) given to <c>googlenet predict</c> and
/// <c>googlenet train</c> as their own processes: each refuses it in words, and the process's peak resident memory
/// (VmHWM, read from /proc while it runs) stays that of a command that decoded nothing.
/// </summary>
public sealed class PixelBombPeakMemoryTests : IDisposable
{
    /// <summary>Far above what starting the command takes, far below what decoding the bomb would.</summary>
    private const long PeakBound = 1L << 30;

    private static string Googlenet => RepositoryPaths.Googlenet;

    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-bomb-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [LinuxFact]
    public void Predict_refuses_the_bomb_with_its_peak_memory_bounded()
    {
        string bomb = Path.Combine(_folder, "bomb.png");
        File.WriteAllBytes(bomb, ImageBytes.PngHeaderOnly(40000, 40000));
        string zip = Path.Combine(SavedZipFixture.Folder, SavedZipFixture.ServingZip);

        var (exit, output, peak) = RunWatched(["predict", zip, bomb]);

        Assert.NotEqual(0, exit);
        Assert.Contains("bomb.png", output);
        Assert.Contains("its header announces 40000×40000 pixels", output);
        Assert.True(peak < PeakBound, $"googlenet predict peaked at {peak / (1 << 20)} MiB refusing a 45-byte file");
        Assert.Contains("raise it with --max-pixels N", output);

        // A larger bound lets the size through; the file is then refused for what it lacks (pixel data), not its size.
        var (raisedExit, raised, _) = RunWatched(["predict", zip, bomb, "--max-pixels", "2000000000"]);
        Assert.NotEqual(0, raisedExit);
        Assert.Contains("bomb.png", raised);
        Assert.DoesNotContain("too large", raised);
    }

    [LinuxFact]
    public void Train_refuses_a_folder_holding_the_bomb_with_its_peak_memory_bounded()
    {
        using var images = PatternImages.Create(trainPerClass: 4, testPerClass: 0);
        string data = Path.Combine(_folder, "data");
        foreach (var row in images.Train)
        {
            string folder = Path.Combine(data, row.Label);
            Directory.CreateDirectory(folder);
            File.Copy(row.ImagePath, Path.Combine(folder, Path.GetFileName(row.ImagePath)));
        }
        File.WriteAllBytes(Path.Combine(data, PatternImages.Classes[0], "bomb.png"), ImageBytes.PngHeaderOnly(40000, 40000));

        var (exit, output, peak) = RunWatched(
            ["train", "--data", data, "--bad-images", "fail", "--epochs", "1", "--image-size", "32", "--model", Path.Combine(_folder, "model.zip")]);

        Assert.NotEqual(0, exit);
        Assert.Contains("bomb.png", output);
        Assert.Contains("its header announces 40000×40000 pixels", output);
        Assert.False(File.Exists(Path.Combine(_folder, "model.zip")));
        Assert.True(peak < PeakBound, $"googlenet train peaked at {peak / (1 << 20)} MiB refusing a folder with a 45-byte bomb");
    }

    /// <summary>Runs googlenet with <paramref name="arguments"/>, reading its VmHWM every few milliseconds until it exits.</summary>
    private static (int Exit, string Output, long Peak) RunWatched(string[] arguments)
    {
        var output = new StringBuilder();
        using var process = ProcessRunner.StartDotnet(Googlenet, arguments, output);
        long peak = 0;
        var clock = Stopwatch.StartNew();
        while (!process.HasExited)
        {
            peak = Math.Max(peak, PeakOf(process.Id));
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(3), $"googlenet {string.Join(' ', arguments)} did not end in 3 minutes");
            Thread.Sleep(5);
        }
        process.WaitForExit();
        Assert.True(peak > 0, "the process's peak memory was never read");
        lock (output)
            return (process.ExitCode, output.ToString(), peak);
    }

    /// <summary>VmHWM of process <paramref name="id"/> in bytes, or 0 once it is gone.</summary>
    private static long PeakOf(int id)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{id}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return 1024 * long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }
        catch (IOException)
        {
        }
        return 0;
    }
}
