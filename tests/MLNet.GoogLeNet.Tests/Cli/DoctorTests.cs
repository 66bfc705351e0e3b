using System.Text.RegularExpressions;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Native;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Cli;

/// <summary>
/// <c>googlenet doctor</c> describes the machine and probes the library's convolutions; and oneDNN's own log of a
/// training run shows every convolution it ran, forward and backward, on channels-last activations (ConvolutionLayout).
/// </summary>
public sealed partial class DoctorTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("googlenet-doctor-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private static string Googlenet => RepositoryPaths.Googlenet;

    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    [LinuxX64Fact]
    public void Doctor_names_the_cpu_and_onednn_isa_and_finds_the_library_convolutions_right()
    {
        var run = ProcessRunner.RunDotnet(Googlenet, ["doctor"], Patience);
        Assert.True(run.ExitCode == 0, run.Output + run.Error);
        var cpu = CpuDescription.Current;
        Assert.Contains($"CPU: {cpu.Name} (family {cpu.Family}, model {cpu.Model})", run.Output);
        Assert.Contains(cpu.Flags.Contains("avx512f") ? "avx512f" : "no avx512f", run.Output);
        // oneDNN states its instruction set in words ("Intel AVX2", "Intel AVX-512 with …") and its version.
        Assert.Matches(@"oneDNN: .*(AVX|SSE).* \(oneDNN v\d+\.\d+", run.Output);
        int cases = ConvolutionProbe.InputChannels.Count * ConvolutionProbe.OutputChannels.Count * ConvolutionProbe.KernelSizes.Count;
        Assert.Contains($"library, channels-last weights: {cases} of {cases} right and channels-last", run.Output);
        Assert.Contains($"standard weights   : {cases} of {cases} right and channels-last", run.Output);
        Assert.Contains(ConvolutionFault.OnThisCpu ? "the library convolves on this CPU without oneDNN, as matrix products" : "the library convolves on this CPU with oneDNN", run.Output);
        Assert.Contains("libtorch's plain layout, unguarded", run.Output);
        Assert.Contains("The library's convolutions are right on this machine.", run.Output);
        // What the default precision does here, by the rule training applies.
        Assert.Contains(cpu.HasNativeBFloat16
            ? "Mixed precision: this CPU computes bf16 natively; the default (auto) times a few training steps in fp32 and in bf16"
            : "Mixed precision: the default (auto) trains in fp32: this CPU has no native bf16 arithmetic", run.Output);
        // libtorch's warnings where NNPACK cannot start (AMD Zen 5), once printed at each of the probes' convolutions.
        Assert.DoesNotContain("NNPACK", run.Error);
    }

    [UnguardedOneDnnFact]  // doctor's last probe runs libtorch's plain layout unguarded, here in the test process
    public void Doctor_in_process_says_why_it_cannot_read_the_onednn_isa()
    {
        var (exit, output) = CliRunner.Run("doctor");
        Assert.Equal(0, exit);
        Assert.Contains("oneDNN: not read (run googlenet doctor as a program of its own", output);
    }

    [LinuxX64Fact]
    public void Every_convolution_of_a_training_run_runs_on_channels_last_activations_in_onednn_or_without_it_where_it_is_wrong()
    {
        string data = Path.Combine(_work, "idx");
        IdxFiles.WriteFashionMnist(data, trainCount: 24, testCount: 8);
        // The default preset at a width whose channel counts are odd (30, 33, 52, …) and an image size whose last
        // stages are 1×1 and 2×2: the shapes where libtorch's plain path was taken before the guard.
        var run = ProcessRunner.Dotnet(
            [Googlenet, "train", "--data", data, "--image-size", "32", "--width-divisor", "16", "--batch-size", "8", "--epochs", "1",
             "--model", Path.Combine(_work, "model.zip")],
            Patience, Path.GetDirectoryName(Googlenet)!, new Dictionary<string, string?> { ["ONEDNN_VERBOSE"] = "1" });
        Assert.True(run.ExitCode == 0, run.Output + run.Error);

        var logged = run.Output.Split('\n').Where(l => l.Contains(",convolution,", StringComparison.Ordinal) && l.Contains("exec", StringComparison.Ordinal)).ToList();
        // The fault probe (ConvolutionFault) runs its few convolutions in oneDNN, deliberately unguarded, before the
        // training does: told apart by their problem descriptors, which no convolution of this training shares.
        var probe = logged.Where(IsFaultProbe).ToList();
        var convolutions = logged.Except(probe).ToList();
        Assert.True(probe.Count <= ConvolutionFault.ProbedShapes.Count && probe.All(l => l.Contains(",forward_", StringComparison.Ordinal)),
            $"{probe.Count} convolutions of the fault probe's shapes, e.g.\n{string.Join('\n', probe.Take(3))}");
        if (ConvolutionFault.OnThisCpu)
        {
            // This CPU has oneDNN's convolution fault: the training convolved without oneDNN.
            Assert.True(convolutions.Count == 0, $"{convolutions.Count} training convolutions ran in oneDNN, e.g.\n{string.Join('\n', convolutions.Take(3))}");
            Assert.Contains("epoch 1,", run.Output);
        }
        else
        {
            foreach (string pass in new[] { "forward_training", "backward_data", "backward_weights" })
                Assert.Contains(convolutions, l => l.Contains($",{pass},", StringComparison.Ordinal));
            var plain = convolutions
                .SelectMany(l => Activation().Matches(l).Select(m => (Line: l, Tag: m.Groups["tag"].Value)))
                .Where(a => a.Tag != "acdb")
                .Select(a => a.Line)
                .Distinct()
                .ToList();
            Assert.True(plain.Count == 0, $"{plain.Count} convolutions of {convolutions.Count} ran on activations not laid out channels-last, e.g.\n{string.Join('\n', plain.Take(5))}");
            Assert.True(convolutions.Count > 100, $"only {convolutions.Count} convolutions in oneDNN's log");
        }
    }

    /// <summary>
    /// True for a logged convolution of the fault probe: one of its shapes, on its batch of images
    /// ("mb4_ic24oc32_ih6oh6kh3…"). This training's images are 32×32 and its batches 8, so none of its convolutions match.
    /// </summary>
    private static bool IsFaultProbe(string line) => ConvolutionFault.ProbedShapes.Any(shape => line.Contains(
        $",mb{ConvolutionFault.ProbeBatch}_ic{shape.Input}oc{shape.Output}_ih{ConvolutionFault.ProbeImageSize}oh{ConvolutionFault.ProbeImageSize}kh{shape.Kernel}s",
        StringComparison.Ordinal));

    /// <summary>An activation's memory descriptor in oneDNN's verbose log: "src:f32::blocked:acdb::f0" (dst likewise).</summary>
    [GeneratedRegex(@"\b(src|dst):[a-z0-9]+:[a-z]*:blocked:(?<tag>[A-Za-z0-9]+)")]
    private static partial Regex Activation();
}
