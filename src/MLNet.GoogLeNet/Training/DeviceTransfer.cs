using MLNet.GoogLeNet.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Training;

/// <summary>Moves batches to the training device and sets the device's fast-math switches.</summary>
internal static class DeviceTransfer
{
    /// <summary>
    /// <paramref name="cpu"/> itself on the CPU; on a GPU, a copy made from page-locked (pinned) memory with a
    /// non-blocking transfer, so the copy overlaps with work already queued on the device.
    /// </summary>
    public static Tensor ToDevice(Tensor cpu, Device device) =>
        device.type == DeviceType.CPU ? cpu : cpu.pin_memory().to(device, non_blocking: true);

    /// <summary>
    /// On CUDA devices, sets TF32 arithmetic for matrix products and convolutions (Ampere and later) to
    /// <paramref name="allowTf32"/> and, when <paramref name="cudnnAutotune"/> is set, turns on cuDNN autotuning (every
    /// batch has the same shape, so the algorithm cuDNN times on the first batch serves all the others). Nothing changes
    /// on the CPU. The switches are process-wide: call inside a <see cref="ProcessSettingsScope"/>.
    /// </summary>
    /// <returns>A message when autotuning was asked for and could not be turned on, else null.</returns>
    public static string? Prepare(Device device, bool allowTf32, bool cudnnAutotune)
    {
        if (device.type != DeviceType.CUDA)
            return null;
        backends.cuda.matmul.allow_tf32 = allowTf32;
        backends.cudnn.allow_tf32 = allowTf32;
        if (!cudnnAutotune)
            return null;
        if (!LibTorchSwitches.Available)
            return "CudnnAutotune has no effect here: libtorch's switch for it is reached on Linux only.";
        LibTorchSwitches.CudnnBenchmark = true;
        return null;
    }
}
