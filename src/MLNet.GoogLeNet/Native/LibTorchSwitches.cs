using System.Runtime.InteropServices;
using TorchSharp;

namespace MLNet.GoogLeNet.Native;

/// <summary>
/// Switches of libtorch that TorchSharp 0.107 does not expose — cuDNN autotuning, NNPACK and autocast — set through
/// libtorch's own C++ API (<c>at::globalContext().setBenchmarkCuDNN</c>, <c>at::autocast::set_autocast_enabled</c> …),
/// which libtorch_cpu exports. The entry points are the Itanium C++ ABI names of those functions, so this works where
/// libtorch is built with GCC or Clang: Linux. Elsewhere <see cref="Available"/> is false and nothing is called.
/// </summary>
internal static partial class LibTorchSwitches
{
    private const string Library = "torch_cpu";
    private static readonly Lazy<bool> IsAvailable = new(Probe, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>True when libtorch's C++ switches can be called here (Linux, libtorch loaded, symbols found).</summary>
    public static bool Available => IsAvailable.Value;

    /// <summary>
    /// cuDNN autotuning (PyTorch's <c>torch.backends.cudnn.benchmark</c>): cuDNN times its convolution algorithms on the
    /// first batch of each shape and keeps the fastest. Process-wide; no effect without CUDA.
    /// </summary>
    public static bool CudnnBenchmark
    {
        get => RequireAvailable() && GetBenchmarkCuDNN(GlobalContext());
        set
        {
            RequireAvailable();
            SetBenchmarkCuDNN(GlobalContext(), value);
        }
    }

    /// <summary>
    /// Lets libtorch convolve with NNPACK or not (PyTorch's <c>torch.backends.nnpack.set_flags</c>); off, libtorch does
    /// not ask for NNPACK at all. Process-wide.
    /// </summary>
    public static void SetNnpackEnabled(bool enabled)
    {
        RequireAvailable();
        SetUserEnabledNnpack(GlobalContext(), enabled);
    }

    /// <summary>Whether autocast is on for <paramref name="device"/> on the calling thread.</summary>
    public static bool IsAutocastEnabled(DeviceType device) => RequireAvailable() && IsAutocastEnabledNative((sbyte)device);

    /// <summary>The reduced-precision type autocast uses on <paramref name="device"/> (calling thread).</summary>
    public static torch.ScalarType AutocastDType(DeviceType device)
    {
        RequireAvailable();
        return (torch.ScalarType)GetAutocastDType((sbyte)device);
    }

    /// <summary>Turns autocast on for <paramref name="device"/> on the calling thread, casting to <paramref name="dtype"/>.</summary>
    public static void EnableAutocast(DeviceType device, torch.ScalarType dtype)
    {
        RequireAvailable();
        SetAutocastDType((sbyte)device, (sbyte)dtype);
        SetAutocastEnabled((sbyte)device, true);
    }

    /// <summary>
    /// Turns autocast off for <paramref name="device"/> on the calling thread and clears the cache of weights already
    /// cast, as PyTorch's autocast does when its outermost region ends (the cache would otherwise hold weights from
    /// before the next optimiser step).
    /// </summary>
    public static void DisableAutocast(DeviceType device)
    {
        RequireAvailable();
        SetAutocastEnabled((sbyte)device, false);
        ClearAutocastCache();
    }

    private static bool RequireAvailable() => Available
        ? true
        : throw new PlatformNotSupportedException(
            "libtorch's C++ switches (cuDNN autotuning, NNPACK, autocast) are reached through their Linux (Itanium ABI) symbol " +
            "names and are not available on this system.");

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux())
            return false;
        try
        {
            TorchRuntime.EnsureLoaded();
            _ = GetBenchmarkCuDNN(GlobalContext());
            _ = IsAutocastEnabledNative((sbyte)DeviceType.CPU);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }

    // c10::DeviceType and c10::ScalarType are enums with an 8-bit underlying type; their values match TorchSharp's.
    [LibraryImport(Library, EntryPoint = "_ZN2at13globalContextEv")]
    private static partial IntPtr GlobalContext();

    [LibraryImport(Library, EntryPoint = "_ZN2at7Context17setBenchmarkCuDNNEb")]
    private static partial void SetBenchmarkCuDNN(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [LibraryImport(Library, EntryPoint = "_ZNK2at7Context14benchmarkCuDNNEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static partial bool GetBenchmarkCuDNN(IntPtr context);

    [LibraryImport(Library, EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    private static partial void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [LibraryImport(Library, EntryPoint = "_ZN2at8autocast20set_autocast_enabledEN3c1010DeviceTypeEb")]
    private static partial void SetAutocastEnabled(sbyte device, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [LibraryImport(Library, EntryPoint = "_ZN2at8autocast19is_autocast_enabledEN3c1010DeviceTypeE")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static partial bool IsAutocastEnabledNative(sbyte device);

    [LibraryImport(Library, EntryPoint = "_ZN2at8autocast18set_autocast_dtypeEN3c1010DeviceTypeENS1_10ScalarTypeE")]
    private static partial void SetAutocastDType(sbyte device, sbyte dtype);

    [LibraryImport(Library, EntryPoint = "_ZN2at8autocast18get_autocast_dtypeEN3c1010DeviceTypeE")]
    private static partial sbyte GetAutocastDType(sbyte device);

    [LibraryImport(Library, EntryPoint = "_ZN2at8autocast11clear_cacheEv")]
    private static partial void ClearAutocastCache();
}
