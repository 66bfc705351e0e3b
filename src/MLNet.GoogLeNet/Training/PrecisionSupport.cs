using MLNet.GoogLeNet.Native;
using TorchSharp;

namespace MLNet.GoogLeNet.Training;

/// <summary>Decides whether a requested <see cref="MixedPrecision"/> mode is used on a device.</summary>
internal static class PrecisionSupport
{
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
        if (device.type == DeviceType.CPU && !CpuDescription.Current.HasNativeBFloat16)
        {
            warning = $"MixedPrecision.{requested} is not used on this CPU: it has no native bf16 arithmetic (AVX512-BF16 or AMX), " +
                      "and emulated bf16 trains many times slower than fp32 (docs/performance.md). Training in fp32.";
            return MixedPrecision.None;
        }
        return requested;
    }
}
