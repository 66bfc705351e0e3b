using TorchSharp;

namespace MLNet.GoogLeNet.Native;

/// <summary>
/// The process-wide libtorch settings training may change — the number of threads per operation, TF32 arithmetic
/// for matrix products and cuDNN convolutions, cuDNN autotuning — captured when the scope opens and put back when it
/// is disposed, so that <c>Fit</c> leaves them as its caller had them, whether it returns, throws or is cancelled.
/// </summary>
/// <remarks>
/// The C allocator's setting (<see cref="NativeMemory.KeepFreedMemory"/>) is not among them: glibc cannot report its
/// current values, so it cannot be put back; it is an option the caller turns on explicitly
/// (<see cref="GoogLeNetTrainerOptions.KeepNativeMemory"/>). libtorch reads the thread count per calling thread where
/// it uses OpenMP, so dispose the scope on the thread that opened it.
/// </remarks>
internal sealed class ProcessSettingsScope : IDisposable
{
    private readonly ProcessSettings _saved;
    private bool _disposed;

    private ProcessSettingsScope(ProcessSettings saved) => _saved = saved;

    /// <summary>Captures the current settings; <see cref="Dispose"/> restores them.</summary>
    public static ProcessSettingsScope Open()
    {
        TorchRuntime.EnsureLoaded();
        return new ProcessSettingsScope(ProcessSettings.Current);
    }

    /// <summary>Restores the captured settings (once).</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _saved.Apply();
    }
}

/// <summary>The values <see cref="ProcessSettingsScope"/> saves and restores.</summary>
/// <param name="Threads">libtorch's threads per operation (<c>torch.get_num_threads</c>).</param>
/// <param name="MatmulTf32">TF32 for CUDA matrix products (<c>torch.backends.cuda.matmul.allow_tf32</c>).</param>
/// <param name="CudnnTf32">TF32 for cuDNN convolutions (<c>torch.backends.cudnn.allow_tf32</c>).</param>
/// <param name="CudnnBenchmark">cuDNN autotuning; null where <see cref="LibTorchSwitches"/> cannot reach it.</param>
internal readonly record struct ProcessSettings(int Threads, bool MatmulTf32, bool CudnnTf32, bool? CudnnBenchmark)
{
    /// <summary>The settings now.</summary>
    public static ProcessSettings Current => new(
        torch.get_num_threads(),
        torch.backends.cuda.matmul.allow_tf32,
        torch.backends.cudnn.allow_tf32,
        LibTorchSwitches.Available ? LibTorchSwitches.CudnnBenchmark : null);

    /// <summary>Sets every value that differs from now (a thread count is only set when it changed: setting it rebuilds libtorch's pool).</summary>
    public void Apply()
    {
        if (torch.get_num_threads() != Threads)
            torch.set_num_threads(Threads);
        if (torch.backends.cuda.matmul.allow_tf32 != MatmulTf32)
            torch.backends.cuda.matmul.allow_tf32 = MatmulTf32;
        if (torch.backends.cudnn.allow_tf32 != CudnnTf32)
            torch.backends.cudnn.allow_tf32 = CudnnTf32;
        if (CudnnBenchmark is { } benchmark && LibTorchSwitches.CudnnBenchmark != benchmark)
            LibTorchSwitches.CudnnBenchmark = benchmark;
    }
}
