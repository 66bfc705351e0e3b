using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// Whether libtorch's CPU convolution (oneDNN) computes wrong values on this machine. Where it does, the library
/// convolves with <see cref="GemmConvolution"/> on the CPU.
/// </summary>
/// <remarks>
/// On AMD Zen 5 (docs/troubleshooting.md) oneDNN's kernels are wrong in both layouts for some channel counts: in the plain
/// layout for more than 16 input channels that are not a multiple of 16, channels-last for output channel counts such as
/// 80, 112 and 176 — and the wrong results vary from run to run, and can damage memory. No rule over shapes could be
/// trusted to keep clear of them, so on such a CPU no convolution of the library goes to oneDNN. That processor is
/// recognised by name and family, so its faulty kernels are not run at all; on any other CPU a probe computes a few
/// convolutions that are wrong on Zen 5 and compares them with float64 (which libtorch computes without oneDNN): a few
/// milliseconds, once per process.
/// </remarks>
internal static class ConvolutionFault
{
    private static readonly Lazy<bool> Detected = new(Detect, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly AsyncLocal<bool?> Forced = new();

    /// <summary>True when CPU convolutions of the library avoid oneDNN: the fault was found here, or a test asked for it.</summary>
    public static bool AvoidOneDnn => Forced.Value ?? Detected.Value;

    /// <summary>True when oneDNN's CPU convolution is wrong on this machine: a known processor, or the probe found it.</summary>
    public static bool OnThisCpu => Detected.Value;

    /// <summary>
    /// Makes the library's CPU convolutions avoid oneDNN (true) or use it (false) on the calling thread and the work it
    /// starts, whatever the probe found, until the returned scope is disposed: how tests run both paths on any CPU.
    /// </summary>
    public static IDisposable Force(bool avoidOneDnn)
    {
        bool? previous = Forced.Value;
        Forced.Value = avoidOneDnn;
        return new Restore(() => Forced.Value = previous);
    }

    /// <summary>The probe's batch: <see cref="ProbeBatch"/> images of <see cref="ProbeImageSize"/>² pixels per shape.</summary>
    internal const int ProbeBatch = 4, ProbeImageSize = 6;

    /// <summary>The shapes probed: (input channels, output channels, kernel, channels-last), each wrong on Zen 5.</summary>
    internal static IReadOnlyList<(int Input, int Output, int Kernel, bool ChannelsLast)> ProbedShapes { get; } =
    [
        (24, 32, 3, false),
        (40, 32, 5, false),
        (16, 80, 1, true),
        (16, 112, 5, true),
        (48, 176, 1, true),
    ];

    /// <summary>True for the processors the fault was measured on: AMD Zen 5, an AMD processor of family 26.</summary>
    internal static bool IsKnownAffected(Native.CpuDescription cpu) =>
        cpu.Family == 26 && cpu.Name.Contains("AMD", StringComparison.OrdinalIgnoreCase);

    private static bool Detect() => IsKnownAffected(Native.CpuDescription.Current) || ProbeFindsFault();

    /// <summary>True when oneDNN computes one of <see cref="ProbedShapes"/> wrong here (this runs oneDNN's kernels).</summary>
    private static bool ProbeFindsFault()
    {
        Native.TorchRuntime.EnsureLoaded();
        using var generator = new Generator(11);
        return ProbedShapes.Any(shape => !(ConvolutionProbe.Unguarded(shape.Input, shape.Output, shape.Kernel, shape.ChannelsLast,
            ProbeBatch, ProbeImageSize, generator) <= 1));
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
