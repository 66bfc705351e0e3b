using TorchSharp;

namespace MLNet.GoogLeNet.Native;

/// <summary>
/// Loads TorchSharp's native libraries once and turns a failure into an error that says what to do. An application
/// whose own code uses TorchSharp before any other type of this library calls <see cref="EnsureLoaded"/> first, so
/// that the native-loading fix is in place (docs/native-loading.md).
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
            throw new InvalidOperationException(Explain(failure), failure);
    }

    /// <summary>True when a CUDA device is usable by TorchSharp (the CUDA back end is installed and a GPU is present).</summary>
    internal static bool CudaAvailable
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
            // Normally done by the module initializer already; repeated here so that loading never depends on it.
            LibTorchSharpLoader.Register();
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

    private static string Explain(Exception failure)
    {
        string message = "TorchSharp's native libraries could not be loaded. ";
        if (OperatingSystem.IsLinux())
        {
            message += "On Linux, libLibTorchSharp.so and libtorch must sit in the application's output folder " +
                       "(runtimes/linux-x64/native, or the folder itself after a RID-specific publish), copied there from the " +
                       "TorchSharp-cpu or TorchSharp-cuda-linux packages; ";
            if (!LibTorchSharpLoader.Enabled)
                message += $"the {LibTorchSharpLoader.Version} fix for a libstdc++ older than GCC 13 is turned off " +
                           $"({LibTorchSharpLoader.Switch}=false); ";
            else if (LibTorchSharpLoader.Failure is { } fixFailure)
                message += $"the {LibTorchSharpLoader.Version} fix for a libstdc++ older than GCC 13 did not help: {fixFailure} ";
        }
        return message + "see docs/native-loading.md. Cause: " + Innermost(failure).Message;
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
