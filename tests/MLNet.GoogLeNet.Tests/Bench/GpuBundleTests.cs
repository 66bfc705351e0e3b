using System.Text.Json;
using MLNet.GoogLeNet.Tests.TestData;
using Xunit.Abstractions;

namespace MLNet.GoogLeNet.Tests.Bench;

/// <summary>
/// The GPU check's bundle (bench/gpu, docs/gpu.md) cannot rot: bench/gpu/bundle.sh builds it from the sources as they
/// are (one build, here with a small Fashion-MNIST look-alike), under the 64 MiB a device run carries, without libtorch;
/// bench/gpu/run-on-gpu.sh unpacks it, finds that TorchSharp's libLibTorchSharp.so resolves against a libtorch (this
/// test's own, the CPU build TorchSharp ships), and runs the check program on the bundle's .NET runtime through every
/// check on the CPU. The symbol check is shown to fail where a library of libtorch is missing.
/// </summary>
public sealed class GpuBundleTests(ITestOutputHelper output) : IDisposable
{
    private const long DeviceRunLimit = 64L * 1024 * 1024;

    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-gpu-bundle-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>libtorch's CPU build as TorchSharp-cpu copies it into this test's output folder.</summary>
    private static string Libtorch => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");

    [LinuxX64Fact]
    public void The_bundle_fits_a_device_run_and_its_check_runs_every_step_on_the_CPU()
    {
        string data = Path.Combine(_folder, "data"), bundle = Path.Combine(_folder, "gpu-bundle.tar.xz");
        IdxFiles.WriteFashionMnist(data, trainCount: 64, testCount: 32);
        var built = Script("bundle.sh", ["--data", data, "--train", "64", "--test", "32", "--output", bundle], TimeSpan.FromMinutes(6));
        Assert.True(built.ExitCode == 0, built.Output + built.Error);
        long size = new FileInfo(bundle).Length;
        output.WriteLine(built.Output.Trim());
        Assert.True(size < DeviceRunLimit, $"the bundle is {size:N0} bytes, over the {DeviceRunLimit:N0} a device run carries");
        var contents = ProcessRunner.Run("tar", ["-tJf", bundle], TimeSpan.FromMinutes(2), _folder).Output.Split('\n');
        Assert.Contains("./app/libLibTorchSharp.so", contents);
        Assert.Contains("./app/MLNet.GoogLeNet.GpuCheck.dll", contents);
        Assert.Contains("./dotnet/dotnet", contents);
        Assert.Contains("./data/train-images-idx3-ubyte.gz", contents);
        Assert.DoesNotContain(contents, name => Path.GetFileName(name).StartsWith("libtorch", StringComparison.Ordinal));

        string report = Path.Combine(_folder, "report");
        var run = Script("run-on-gpu.sh", [bundle, report, "--rehearsal", "--libtorch", Libtorch], TimeSpan.FromMinutes(6),
            OwnTemporaryFolder.Environment(_folder).ToDictionary(p => p.Key, p => (string?)p.Value));
        output.WriteLine(run.Output);
        Assert.True(run.ExitCode == 0, run.Output + run.Error);
        Assert.Equal("", File.ReadAllText(Path.Combine(report, "unresolved-shipped.txt")));

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "gpu-check.json")));
        Assert.True(json.RootElement.GetProperty("rehearsal").GetBoolean());
        var entries = json.RootElement.GetProperty("entries").EnumerateArray()
            .ToDictionary(e => e.GetProperty("name").GetString()!, e => e.GetProperty("passed"));
        foreach (string check in new[]
                 {
                     "agreement.logits", "agreement.loss", "agreement.weights_after_one_step", "bf16.loss_finite",
                     "resume.trains_only_what_was_left", "zip.largest_probability_difference",
                 })
            Assert.True(entries.TryGetValue(check, out var passed) && passed.ValueKind == JsonValueKind.True, $"{check} did not pass:\n{run.Output}");
        foreach (string figure in new[] { "recipe.seconds_per_epoch_of_60000", "default.validation_accuracy", "default.precision", "bf16.validation_accuracy" })
            Assert.Contains(figure, entries.Keys);
        Assert.DoesNotContain(entries.Values, passed => passed.ValueKind == JsonValueKind.False);

        // Without libtorch_cpu.so beside libtorch.so, TorchSharp's library cannot bind its symbols, and no sources came to rebuild it.
        string partial = Directory.CreateDirectory(Path.Combine(_folder, "partial-libtorch")).FullName;
        foreach (string library in new[] { "libtorch.so", "libc10.so" })
            File.CreateSymbolicLink(Path.Combine(partial, library), Path.Combine(Libtorch, library));
        var unresolved = Script("run-on-gpu.sh", [bundle, Path.Combine(_folder, "partial"), "--rehearsal", "--libtorch", partial], TimeSpan.FromMinutes(2));
        Assert.True(unresolved.ExitCode == 3, unresolved.Output + unresolved.Error);
        Assert.Matches(@"as shipped in TorchSharp 0\.107: [1-9]\d* unresolved symbols", unresolved.Output);
        Assert.Contains("cannot rebuild LibTorchSharp", unresolved.Output);
    }

    private static ProcessRunner.Result Script(string name, IEnumerable<string> arguments, TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null) =>
        ProcessRunner.Run("bash", [Path.Combine(RepositoryPaths.Root, "bench", "gpu", name), .. arguments], timeout, RepositoryPaths.Root, environment);
}
