using TorchSharp;

namespace MLNet.GoogLeNet.Native;

/// <summary>
/// Loads TorchSharp's native libraries once and turns a failure into an error that says what to do.
/// </summary>
public static class TorchRuntime
{
    private static readonly Lazy<Exception?> LoadFailure = new(TryLoad, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Makes sure libtorch and TorchSharp's native wrapper are loaded.
    /// </summary>
    /// <exception cref="InvalidOperationException">The native libraries could not be loaded; the message says why and
    /// points to docs/native-loading.md.</exception>
    public static void EnsureLoaded()
    {
        if (LoadFailure.Value is { } failure)
            throw new InvalidOperationException(
                "TorchSharp's native libraries could not be loaded. On Linux, libLibTorchSharp.so must sit in the " +
                "application's output folder as the MLNet.GoogLeNet build leaves it there (runtimes/<rid>/native), and a " +
                "libstdc++ older than GCC 13 needs the GLIBCXX_3.4.32 fix that the build applies; rebuild the application " +
                "and see docs/native-loading.md. Cause: " + Innermost(failure).Message, failure);
    }

    /// <summary>True when a CUDA device is usable by TorchSharp (the CUDA back end is installed and a GPU is present).</summary>
    public static bool CudaAvailable
    {
        get
        {
            EnsureLoaded();
            return torch.cuda.is_available();
        }
    }

    private static Exception? TryLoad()
    {
        try
        {
            // The first call into torch runs its static initialiser, which loads the native libraries.
            _ = torch.get_num_threads();
            return null;
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException
                                      or BadImageFormatException or EntryPointNotFoundException)
        {
            return e;
        }
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
