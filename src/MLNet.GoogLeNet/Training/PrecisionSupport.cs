using MLNet.GoogLeNet.Native;
using TorchSharp;

namespace MLNet.GoogLeNet.Training;

/// <summary>Decides whether a requested <see cref="MixedPrecision"/> mode is used on a device.</summary>
internal static class PrecisionSupport
{
    private static readonly Lazy<bool> CpuHasNativeBFloat16 = new(() => CpuFlagsHaveBFloat16(ReadCpuFlags()));

    /// <summary>
    /// The mode to train with on <paramref name="device"/>: <paramref name="requested"/> where the device computes in
    /// bf16 natively (CUDA devices; CPUs with AVX512-BF16 or AMX) and libtorch's autocast switch is reachable, else
    /// <see cref="MixedPrecision.None"/> with the reason in <paramref name="warning"/>.
    /// </summary>
    public static MixedPrecision Resolve(torch.Device device, MixedPrecision requested, out string? warning)
    {
        warning = null;
        if (requested == MixedPrecision.None)
            return MixedPrecision.None;
        if (!LibTorchSwitches.Available)
        {
            warning = $"MixedPrecision.{requested} needs libtorch's autocast switch, which is reached on Linux only; training in fp32.";
            return MixedPrecision.None;
        }
        if (device.type == DeviceType.CPU && !CpuHasNativeBFloat16.Value)
        {
            warning = $"MixedPrecision.{requested} is not used on this CPU: it has no native bf16 arithmetic (AVX512-BF16 or AMX), " +
                      "and emulated bf16 trains many times slower than fp32 (docs/performance.md). Training in fp32.";
            return MixedPrecision.None;
        }
        return requested;
    }

    /// <summary>True when the CPU flags (as /proc/cpuinfo lists them) include native bf16 arithmetic.</summary>
    internal static bool CpuFlagsHaveBFloat16(IReadOnlyCollection<string> flags) =>
        flags.Contains("avx512_bf16") || flags.Contains("amx_bf16");

    private static IReadOnlyCollection<string> ReadCpuFlags()
    {
        const string cpuInfo = "/proc/cpuinfo";
        if (!OperatingSystem.IsLinux() || !File.Exists(cpuInfo))
            return [];
        var line = File.ReadLines(cpuInfo).FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
        return line is null ? [] : line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
    }
}
