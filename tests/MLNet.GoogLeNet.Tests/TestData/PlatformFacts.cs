using MLNet.GoogLeNet.Native;

namespace MLNet.GoogLeNet.Tests.TestData;

/// <summary>A fact about Linux behaviour: reported as skipped, with the reason, on other systems.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
            Skip = $"Linux only; this is {System.Runtime.InteropServices.RuntimeInformation.OSDescription}.";
    }
}

/// <summary>A fact about machines without a usable CUDA device: reported as skipped, with the reason, where there is one.</summary>
public sealed class NoGpuFactAttribute : FactAttribute
{
    public NoGpuFactAttribute()
    {
        bool cuda;
        try
        {
            cuda = TorchRuntime.CudaAvailable;
        }
        catch (InvalidOperationException)
        {
            // libtorch does not load: let the test run and fail with that error rather than hide it behind a skip.
            cuda = false;
        }
        if (cuda)
            Skip = "Checks the behaviour without a GPU, and a CUDA device is available here.";
    }
}
