using System.Diagnostics;
using MLNet.GoogLeNet.Native;
using MLNet.GoogLeNet.Tests.TestData;
using TorchSharp;

namespace MLNet.GoogLeNet.Tests.Native;

public class NativeLoadingTests
{
    private const string Version = "GLIBCXX_3.4.32";

    [Fact]
    public void TorchSharp_initialises_from_the_test_output()
    {
        TorchRuntime.EnsureLoaded();
        using var x = torch.ones(2, 3);
        Assert.Equal(6f, x.sum().item<float>());
    }

    [LinuxFact]  // the fix concerns Linux alone
    public void Output_copy_is_weak_exactly_when_the_system_lacks_the_version_and_the_package_cache_is_untouched()
    {
        string output = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(output), $"{output} is missing from the test output");

        bool systemHasVersion = File.ReadAllText("/usr/lib/x86_64-linux-gnu/libstdc++.so.6", System.Text.Encoding.Latin1)
            .Contains(Version + "\0", StringComparison.Ordinal);
        Assert.Equal(systemHasVersion ? "none" : "WEAK", VersionNeedFlags(output));

        string cache = Path.Combine(
            Environment.GetEnvironmentVariable("NUGET_PACKAGES") ??
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
            "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (File.Exists(cache))
            Assert.Equal("none", VersionNeedFlags(cache));
    }

    /// <summary>The flags readelf prints for the GLIBCXX_3.4.32 version-need entry ("none" or "WEAK").</summary>
    private static string VersionNeedFlags(string library)
    {
        var start = new ProcessStartInfo("readelf", ["-V", "-W", library]) { RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        string text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var line = text.Split('\n').Single(l => l.Contains("Name: " + Version, StringComparison.Ordinal));
        return line.Split("Flags:")[1].Trim().Split(' ')[0];
    }
}
