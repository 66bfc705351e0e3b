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

    /// <summary>On CUDA devices, allows TF32 arithmetic for matrix products and convolutions (Ampere and later).</summary>
    public static void Prepare(Device device)
    {
        if (device.type != DeviceType.CUDA)
            return;
        backends.cuda.matmul.allow_tf32 = true;
        backends.cudnn.allow_tf32 = true;
    }
}
