using TorchSharp;

namespace MLNet.GoogLeNet.Native;

/// <summary>
/// The process-wide libtorch settings training may change — the number of threads per operation, TF32 arithmetic
/// for matrix products and cuDNN convolutions, cuDNN autotuning — captured when the first scope opens and put back when
/// the last one is disposed, so that <c>Fit</c> leaves them as its caller had them, whether it returns, throws or is
/// cancelled, and however many <c>Fit</c> calls overlap.
/// </summary>
/// <remarks>
/// <para>Scopes are counted process-wide. The first to open saves the settings; while scopes overlap, each applies its
/// own values on top (the last to set a switch wins, so two overlapping <c>Fit</c> calls with different TF32 or
/// autotuning options run with the later one's); the last to close puts the saved settings back. libtorch keeps the
/// thread count per thread where it uses OpenMP, with a process-wide value that new threads start from: a scope that
/// set a count restores the saved count on its own thread when it closes, and the last scope restores it for the
/// process, so every caller's thread and every new thread has the saved count once the last <c>Fit</c> ends. Dispose
/// a scope on the thread that opened it.</para>
/// <para>The C allocator's setting (<see cref="NativeMemory.KeepFreedMemory"/>) is not among them: glibc cannot report
/// its current values, so it cannot be put back; it is an option the caller turns on explicitly
/// (<see cref="GoogLeNetTrainerOptions.KeepNativeMemory"/>).</para>
/// </remarks>
internal sealed class ProcessSettingsScope : IDisposable
{
    private static readonly object Lock = new();
    private static int _open;
    private static ProcessSettings _saved;
    private static bool _threadsChanged;

    private readonly bool _setsThreads;
    private bool _disposed;

    private ProcessSettingsScope(bool setsThreads) => _setsThreads = setsThreads;

    /// <summary>
    /// Saves the current settings if no other scope is open, then sets libtorch's thread count to
    /// <paramref name="threads"/> (null leaves it). <see cref="Dispose"/> restores the saved settings.
    /// </summary>
    public static ProcessSettingsScope Open(int? threads = null)
    {
        TorchRuntime.EnsureLoaded();
        lock (Lock)
        {
            if (_open == 0)
            {
                _saved = ProcessSettings.Current;
                _threadsChanged = false;
            }
            _open++;
            if (threads is { } count)
            {
                torch.set_num_threads(count);
                _threadsChanged = true;
            }
        }
        return new ProcessSettingsScope(threads is not null);
    }

    /// <summary>Restores the saved thread count on this thread and, when this is the last open scope, every saved setting (once).</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        lock (Lock)
        {
            _open--;
            if (_open == 0)
                _saved.Apply(forceThreads: _threadsChanged);
            else if (_setsThreads && torch.get_num_threads() != _saved.Threads)
                torch.set_num_threads(_saved.Threads);
        }
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

    /// <summary>
    /// Sets every value that differs from now. The thread count is set only when it differs on this thread (setting it
    /// rebuilds libtorch's pool), or always with <paramref name="forceThreads"/>: another thread may have changed the
    /// process-wide count that this thread's does not show.
    /// </summary>
    public void Apply(bool forceThreads = false)
    {
        if (forceThreads || torch.get_num_threads() != Threads)
            torch.set_num_threads(Threads);
        if (torch.backends.cuda.matmul.allow_tf32 != MatmulTf32)
            torch.backends.cuda.matmul.allow_tf32 = MatmulTf32;
        if (torch.backends.cudnn.allow_tf32 != CudnnTf32)
            torch.backends.cudnn.allow_tf32 = CudnnTf32;
        if (CudnnBenchmark is { } benchmark && LibTorchSwitches.CudnnBenchmark != benchmark)
            LibTorchSwitches.CudnnBenchmark = benchmark;
    }
}
