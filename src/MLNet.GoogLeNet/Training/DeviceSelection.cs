using MLNet.GoogLeNet.Native;
using TorchSharp;

namespace MLNet.GoogLeNet.Training;

/// <summary>
/// Chooses where the network trains and scores, the way ML.NET's GPU-capable components read
/// <c>MLContext.GpuDeviceId</c> and <c>MLContext.FallbackToCpu</c>.
/// </summary>
internal static class DeviceSelection
{
    /// <summary>
    /// The CPU when <paramref name="gpuDeviceId"/> is null; CUDA device <paramref name="gpuDeviceId"/> when it is
    /// present; the CPU (with a warning through <paramref name="warn"/>) when it is absent and
    /// <paramref name="fallbackToCpu"/> is true.
    /// </summary>
    /// <exception cref="InvalidOperationException">A GPU was asked for, none is usable and fallback is off.</exception>
    public static torch.Device Select(int? gpuDeviceId, bool fallbackToCpu, Action<string>? warn = null)
    {
        TorchRuntime.EnsureLoaded();
        if (gpuDeviceId is not { } id)
            return torch.CPU;
        if (id < 0)
            throw new ArgumentOutOfRangeException(nameof(gpuDeviceId), id, "MLContext.GpuDeviceId must be 0 or more, or null for the CPU.");

        string? problem = null;
        if (!torch.cuda.is_available())
            problem = "CUDA is not available to TorchSharp (no GPU, no driver, or the CPU back end is installed: build with -p:TorchBackend=cuda)";
        else if (id >= torch.cuda.device_count())
            problem = $"there are only {torch.cuda.device_count()} CUDA device(s)";

        if (problem is null)
            return torch.device(DeviceType.CUDA, id);
        if (!fallbackToCpu)
            throw new InvalidOperationException(
                $"MLContext.GpuDeviceId asks for GPU {id}, but {problem}. Set MLContext.FallbackToCpu = true to train on the CPU instead, " +
                "or set MLContext.GpuDeviceId = null. See docs/gpu.md.");
        warn?.Invoke($"GPU {id} was asked for, but {problem}; falling back to the CPU.");
        return torch.CPU;
    }
}
