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

/// <summary>
/// A fact that drives Debian's chromium headless through chromium-driver (<c>apt-get install chromium chromium-driver</c>,
/// which .ci/run does): reported as skipped, with the reason, where either is missing.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string Browser = "/usr/bin/chromium";
    public const string Driver = "/usr/bin/chromedriver";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(Browser) || !File.Exists(Driver))
            Skip = $"Needs {Browser} and {Driver} (apt-get install chromium chromium-driver); not installed here.";
    }
}

/// <summary>
/// A fact about libtorch's x86-64 Linux build, whose CPU convolutions are oneDNN's: reported as skipped, with the
/// reason, elsewhere.
/// </summary>
public sealed class LinuxX64FactAttribute : FactAttribute
{
    public LinuxX64FactAttribute()
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
            Skip = $"x86-64 Linux only; this is {System.Runtime.InteropServices.RuntimeInformation.OSDescription} on {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}.";
    }
}

/// <summary>
/// A fact that needs the CPU to compute bf16 natively (AVX512-BF16 or AMX) and libtorch's autocast switch, as the probe of
/// <see cref="MixedPrecision.Auto"/> does: reported as skipped, with the reason, elsewhere.
/// </summary>
public sealed class NativeBFloat16FactAttribute : FactAttribute
{
    public NativeBFloat16FactAttribute()
    {
        if (!LibTorchSwitches.Available)
            Skip = "Needs libtorch's autocast switch, which is reached on Linux only.";
        else if (!CpuDescription.Current.HasNativeBFloat16)
            Skip = $"Needs a CPU with native bf16 arithmetic (AVX512-BF16 or AMX); this is {CpuDescription.Current.Name}.";
    }
}

/// <summary>
/// A fact that runs libtorch's oneDNN convolutions unguarded in the test process: reported as skipped, with the reason,
/// on a processor known to have oneDNN's convolution fault, whose wrong kernels can damage the memory of the tests
/// running beside it (<c>googlenet doctor</c>, which DoctorTests run as a process of its own, shows the fault there).
/// </summary>
public sealed class UnguardedOneDnnFactAttribute : FactAttribute
{
    public UnguardedOneDnnFactAttribute()
    {
        if (MLNet.GoogLeNet.Modules.ConvolutionFault.IsKnownAffected(CpuDescription.Current))
            Skip = $"Runs oneDNN's convolution unguarded, which on this CPU ({CpuDescription.Current.Name}, family {CpuDescription.Current.Family}) " +
                   "is wrong and can damage the test process's memory; googlenet doctor shows the fault in a process of its own.";
    }
}
