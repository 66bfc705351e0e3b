using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Native;
using MLNet.GoogLeNet.Training;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;

namespace MLNet.GoogLeNet.Cli.Commands;

/// <summary>
/// <c>googlenet doctor</c>: what this machine is to the library — the CPU, the native libraries and how they loaded,
/// the instruction set oneDNN uses — and a probe of the library's convolution path against float64 in each layout it
/// uses (<see cref="ConvolutionProbe"/>). Exits 1 when the library's own path is wrong here.
/// </summary>
internal sealed class DoctorCommand(IAnsiConsole console) : Command<DoctorCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        /// <summary>
        /// Set on the child process <see cref="OneDnnIsa"/> starts with oneDNN's verbose log on: one convolution large
        /// enough for libtorch to hand it to oneDNN, so that oneDNN prints its version and instruction set.
        /// </summary>
        [CommandOption("--onednn-line", IsHidden = true)]
        public bool OneDnnLine { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        TorchRuntime.EnsureLoaded();
        // The probes' float64 references are libtorch's own convolution, which asks NNPACK first; where NNPACK cannot
        // start (AMD Zen 5: "Unsupported hardware") libtorch prints a warning at every such call, hundreds in all. Off
        // for this command's own process: the library's convolutions never use NNPACK (oneDNN or matrix products).
        if (LibTorchSwitches.Available)
            LibTorchSwitches.SetNnpackEnabled(false);
        if (settings.OneDnnLine)
        {
            using var scope = torch.NewDisposeScope();
            _ = torch.nn.functional.conv2d(torch.ones(8, 16, 12, 12), torch.ones(16, 16, 3, 3));
            return 0;
        }

        var cpu = CpuDescription.Current;
        string[] interesting = ["avx2", "avx512f", "avx512_bf16", "amx_bf16"];
        console.WriteLine($"CPU: {cpu.Name}" +
                          (cpu.Family is { } family ? $" (family {family}, model {cpu.Model})" : "") +
                          (cpu.Flags.Count > 0 ? $"; {string.Join(", ", interesting.Select(f => cpu.Flags.Contains(f) ? f : "no " + f))}" : "") +
                          $"; {Environment.ProcessorCount} logical processors, libtorch uses {torch.get_num_threads()} threads");
        console.WriteLine($"TorchSharp {typeof(torch).Assembly.GetName().Version} on {System.Runtime.InteropServices.RuntimeInformation.OSDescription}; " +
                          $"native libraries loaded ({NativeLoading()})");
        console.WriteLine($"oneDNN: {OneDnnIsa()}");
        console.WriteLine($"Mixed precision: {MixedPrecisionLine()}");

        var results = ConvolutionProbe.Run();
        bool right = true;
        console.WriteLine($"Convolutions in float32 against float64 ({ConvolutionProbe.InputChannels.Count} input channel counts from " +
                          $"{ConvolutionProbe.InputChannels[0]} to {ConvolutionProbe.InputChannels[^1]} × output channels " +
                          $"{string.Join(" and ", ConvolutionProbe.OutputChannels)} × kernels " +
                          $"{string.Join(", ", ConvolutionProbe.KernelSizes.Select(k => $"{k}×{k}"))}; output, input and weight gradients; " +
                          $"allowance {ConvolutionProbe.RelativeTolerance:G} × the largest value + {ConvolutionProbe.AbsoluteTolerance:G}):");
        foreach (var group in results.GroupBy(r => r.Layout))
        {
            var wrong = group.Where(r => !r.Right || !r.OutputChannelsLast).ToList();
            right &= wrong.Count == 0;
            string layout = group.Key == ConvolutionProbe.WeightLayout.ChannelsLast ? "channels-last weights" : "standard weights   ";
            console.WriteLine($"  library, {layout}: {group.Count() - wrong.Count} of {group.Count()} right and channels-last " +
                              $"(worst {group.Max(r => r.Worst).ToString("0.###", CultureInfo.InvariantCulture)} of the allowance)");
            foreach (var r in wrong)
                console.WriteLine($"    WRONG: {r.InputChannels} → {r.OutputChannels} channels, {r.KernelSize}×{r.KernelSize}: output {r.Output:G3}, input gradient " +
                                  $"{r.InputGradient:G3}, weight gradient {r.WeightGradient:G3} of the allowance" +
                                  (r.OutputChannelsLast ? "" : "; ran in the plain layout"));
        }
        console.WriteLine("  the library convolves on this CPU " + (ConvolutionFault.OnThisCpu
            ? "without oneDNN, as matrix products: oneDNN's convolution is wrong on this CPU (docs/troubleshooting.md)"
            : "with oneDNN, which was right here for the shapes it gets wrong on the CPUs known to have its fault"));
        var unguarded = (from channels in ConvolutionProbe.InputChannels
                         from kernel in ConvolutionProbe.KernelSizes
                         let deviation = ConvolutionProbe.UnguardedPlainLayout(channels, kernel)
                         where !(deviation <= 1)
                         select $"{channels} channels {kernel}×{kernel}").ToList();
        console.WriteLine($"  libtorch's plain layout, unguarded (not used by the library): " + (unguarded.Count == 0
            ? "right for every case: this CPU does not have the fault the library guards against"
            : $"WRONG for {unguarded.Count} cases ({string.Join(", ", unguarded.Take(6))}{(unguarded.Count > 6 ? ", …" : "")}): " +
              "this CPU has the fault the library guards against (docs/troubleshooting.md)"));

        if (right)
        {
            console.WriteLine("The library's convolutions are right on this machine.");
            return 0;
        }
        console.WriteLine("The library's convolutions are WRONG on this machine: please report this output (docs/troubleshooting.md).");
        return 1;
    }

    /// <summary>What the default <see cref="MixedPrecision.Auto"/> does on this CPU, by <see cref="AutoPrecision"/>'s rules.</summary>
    private static string MixedPrecisionLine() =>
        PrecisionSupport.AutoWithoutProbe(DeviceType.CPU) is { } without
            ? $"the default (auto) trains in {without.Reason}"
            : string.Create(CultureInfo.InvariantCulture,
                $"this CPU computes bf16 natively; the default (auto) times a few training steps in fp32 and in bf16 autocast at the " +
                $"start of each run of at least {AutoPrecision.ProbeMinimumMultiplyAccumulates / 1e9:G3} billion multiply-accumulates a batch, " +
                $"and takes bf16 where it is at least {AutoPrecision.MinimumSpeedup:F2}× as fast (docs/performance.md); smaller runs train in fp32.");

    private static string NativeLoading() =>
        !LibTorchSharpLoader.Enabled ? (OperatingSystem.IsLinux() ? "the libstdc++ fix is turned off" : "no fix needed on this system")
        : LibTorchSharpLoader.PatchedCopy is { } copy ? $"with the libstdc++ fix of docs/native-loading.md, from {copy}"
        : "as shipped; the libstdc++ fix of docs/native-loading.md was not needed";

    /// <summary>
    /// oneDNN's version and instruction set, as its verbose log states them. The log goes to the native standard
    /// output of the process that turns it on at start, so a child process of this command prints it.
    /// </summary>
    private static string OneDnnIsa()
    {
        // The child runs this same program: the apphost itself, or dotnet with this assembly.
        string? program = Environment.ProcessPath;
        string? entry = Assembly.GetEntryAssembly()?.Location;
        if (program is null || string.IsNullOrEmpty(entry) || Assembly.GetEntryAssembly() != typeof(DoctorCommand).Assembly)
            return "not read (run googlenet doctor as a program of its own to see it)";
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(program) == "dotnet")
            start.ArgumentList.Add(entry);
        start.ArgumentList.Add("doctor");
        start.ArgumentList.Add("--onednn-line");
        start.Environment["ONEDNN_VERBOSE"] = "1";
        try
        {
            using var child = Process.Start(start)!;
            var output = child.StandardOutput.ReadToEndAsync();
            var error = child.StandardError.ReadToEndAsync();
            if (!child.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                child.Kill(entireProcessTree: true);
                return "not read (the child process that reads it did not finish within a minute)";
            }
            _ = error.Result;
            var lines = output.Result.Split('\n');
            string? version = lines.Select(l => l.Trim()).FirstOrDefault(l => l.Contains(",info,oneDNN ", StringComparison.Ordinal));
            string? isa = lines.Select(l => l.Trim()).FirstOrDefault(l => l.Contains(",cpu,isa:", StringComparison.Ordinal));
            return isa is null
                ? "its verbose log named no instruction set (libtorch may use another convolution library here)"
                : $"{isa[(isa.IndexOf("isa:", StringComparison.Ordinal) + 4)..]}" +
                  (version is null ? "" : $" ({version[version.IndexOf("oneDNN ", StringComparison.Ordinal)..].Split(" (")[0]})");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return $"not read ({e.Message})";
        }
    }
}
