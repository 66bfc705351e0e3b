using MLNet.GoogLeNet.Modules;
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

    /// <summary>
    /// What <see cref="MixedPrecision.Auto"/> takes on a <paramref name="device"/> whatever the work, or null where a probe
    /// decides for large enough work (a CUDA device, a CPU with native bf16).
    /// </summary>
    public static PrecisionChoice? AutoWithoutProbe(DeviceType device) =>
        AutoPrecision.WithoutProbe(device == DeviceType.CUDA, LibTorchSwitches.Available, CpuDescription.Current.HasNativeBFloat16,
            multiplyAccumulatesPerBatch: long.MaxValue, AutoPrecision.ProbeMinimumMultiplyAccumulates);

    /// <summary>
    /// What <see cref="MixedPrecision.Auto"/> trains <paramref name="configuration"/> with on <paramref name="device"/>
    /// (<see cref="AutoPrecision"/>'s rules, with a <see cref="PrecisionProbe"/> where they need one).
    /// </summary>
    public static PrecisionChoice ResolveAuto(torch.Device device, GoogLeNetConfiguration configuration, GoogLeNetTrainerOptions options, int seed)
    {
        long minimum = options.AutoProbeMinimumMultiplyAccumulates ?? AutoPrecision.ProbeMinimumMultiplyAccumulates;
        bool cuda = device.type == DeviceType.CUDA;
        bool native = CpuDescription.Current.HasNativeBFloat16;
        // Whether a probe is needed before counting the work: counting builds a network.
        if (AutoWithoutProbe(device.type) is { } early)
            return early;
        if (options.FreezeBackbone)
            return AutoPrecision.FrozenBackbone;
        var (perBatch, fp32, bf16, bf16Error) = PrecisionProbe.Measure(configuration, options, device, seed, minimum);
        var choice = AutoPrecision.WithoutProbe(cuda, LibTorchSwitches.Available, native, perBatch, minimum)
            ?? (bf16Error is not null ? AutoPrecision.AfterBf16Failed(bf16Error) : AutoPrecision.FromProbe(fp32!, bf16!));
        return options.AutoProbeForcedChoice is { } forced ? choice with { Mode = forced } : choice;
    }
}
