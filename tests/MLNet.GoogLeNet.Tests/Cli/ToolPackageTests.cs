using System.IO.Compression;
using System.Text.RegularExpressions;
using MLNet.GoogLeNet.Tests.TestData;
using Xunit.Abstractions;

namespace MLNet.GoogLeNet.Tests.Cli;

/// <summary>
/// The command line as a .NET tool, the way ML.NET users install <c>mlnet</c>: packed for this platform (one pack),
/// the package under NuGet's 250 MB with no other platform's libtorch and a readme; installed from the local folder
/// into a tool path (one install), and the installed <c>googlenet</c> runs <c>doctor</c>, trains a tiny folder to a
/// zip and predicts with it.
/// </summary>
public sealed class ToolPackageTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>nuget.org's limit on a package's size.</summary>
    private const long NuGetLimit = 250L * 1000 * 1000;  // the stricter reading of "250 MB"

    private static readonly string[] Platforms = ["linux-x64", "win-x64", "osx-arm64"];

    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-tool-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The libtorch library each platform's package must hold, and no other platform's package may.</summary>
    private static string Libtorch(string platform) => platform switch
    {
        "linux-x64" => "libtorch_cpu.so",
        "win-x64" => "torch_cpu.dll",
        _ => "libtorch_cpu.dylib",
    };

    /// <summary>On x86-64 Linux, the platform of CI: the others' packages are packed by the same settings, not run here.</summary>
    [LinuxX64Fact]
    public void The_tool_packs_for_this_platform_under_nugets_limit_installs_and_trains()
    {
        const string platform = "linux-x64";
        string packages = Path.Combine(_folder, "packages");
        var pack = ProcessRunner.Dotnet(["pack", Path.Combine("src", "MLNet.GoogLeNet.Cli"), "-c", RepositoryPaths.Configuration, "--no-restore",
            "-o", packages, $"-p:ToolPackageRuntimeIdentifiers={platform}"], TimeSpan.FromMinutes(8), RepositoryPaths.Root);
        Assert.True(pack.ExitCode == 0, pack.Output + pack.Error);

        var files = Directory.GetFiles(packages).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, files.Count);
        string pointer = Path.Combine(packages, files.Single(f => Regex.IsMatch(f!, @"^MLNet\.GoogLeNet\.Cli\.\d+\.\d+\.\d+\.nupkg$"))!);
        string platformPackage = Path.Combine(packages, files.Single(f => f!.StartsWith($"MLNet.GoogLeNet.Cli.{platform}.", StringComparison.Ordinal))!);
        long size = new FileInfo(platformPackage).Length;
        output.WriteLine($"{Path.GetFileName(platformPackage)}: {size / 1e6:F0} MB; {Path.GetFileName(pointer)}: {new FileInfo(pointer).Length:N0} bytes");
        Assert.True(size < NuGetLimit, $"{platformPackage} is {size:N0} bytes, over NuGet's {NuGetLimit:N0}");
        using (var archive = ZipFile.OpenRead(platformPackage))
        {
            var names = archive.Entries.Select(e => e.FullName).ToList();
            Assert.Contains(names, n => n.EndsWith("/" + Libtorch(platform), StringComparison.Ordinal));
            foreach (string other in Platforms.Where(p => p != platform))
                Assert.DoesNotContain(names, n => n.EndsWith("/" + Libtorch(other), StringComparison.Ordinal) || n.Contains($"/{other}/", StringComparison.Ordinal));
            Assert.Contains("README.md", names);
            using var nuspec = new StreamReader(archive.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            Assert.Contains("<readme>README.md</readme>", nuspec.ReadToEnd());
        }

        string tools = Path.Combine(_folder, "tools");
        var install = ProcessRunner.Dotnet(["tool", "install", "--tool-path", tools, "--add-source", packages, "MLNet.GoogLeNet.Cli"],
            TimeSpan.FromMinutes(3), _folder);
        Assert.True(install.ExitCode == 0, install.Output + install.Error);
        string googlenet = Path.Combine(tools, "googlenet");

        var doctor = ProcessRunner.Run(googlenet, ["doctor"], TimeSpan.FromMinutes(2), _folder);
        Assert.True(doctor.ExitCode == 0, doctor.Output + doctor.Error);
        Assert.Contains("Convolutions in float32 against float64", doctor.Output);
        // From the tool's folder, as from the repository: on a libstdc++ older than GCC 13's (Debian 12's) this line says
        // the library loaded its patched copy (docs/native-loading.md); on a newer one, the original.
        string loaded = doctor.Output.Split('\n').Single(line => line.Contains("native libraries loaded", StringComparison.Ordinal));
        output.WriteLine(loaded);

        using var images = PatternImages.Create(trainPerClass: 6, testPerClass: 2, size: 32);
        string model = Path.Combine(_folder, "model.zip");
        var train = ProcessRunner.Run(googlenet, ["train", "--data", images.Root, "--epochs", "1", "--image-size", "32", "--width-divisor", "8",
            "--model", model], TimeSpan.FromMinutes(3), _folder);
        Assert.True(train.ExitCode == 0, train.Output + train.Error);
        Assert.True(File.Exists(model), train.Output);
        var predict = ProcessRunner.Run(googlenet, ["predict", model, images.Test[0].ImagePath, "--json"], TimeSpan.FromMinutes(2), _folder);
        Assert.True(predict.ExitCode == 0, predict.Output + predict.Error);
        Assert.Contains(PatternImages.Classes, c => predict.Output.Contains($"\"{c}\"", StringComparison.Ordinal));
    }
}
