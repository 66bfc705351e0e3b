using System.Runtime.InteropServices;

namespace MLNet.GoogLeNet.Native;

/// <summary>
/// How the C runtime hands native memory back to the operating system. libtorch allocates each batch's activations
/// (tens of megabytes per layer at batch 128 and 96×96) with malloc, and glibc serves blocks that large with fresh
/// mmap calls and unmaps them on free — so every training step faults its memory in again page by page.
/// </summary>
internal static partial class NativeMemory
{
    private const int M_TRIM_THRESHOLD = -1;
    private const int M_TOP_PAD = -2;
    private const int M_MMAP_MAX = -4;
    private static int _kept;

    /// <summary>True once <see cref="KeepFreedMemory"/> has changed the allocator's settings.</summary>
    public static bool FreedMemoryKept => Volatile.Read(ref _kept) == 1;

    /// <summary>
    /// On Linux with glibc, serves large blocks from the heap and keeps freed memory there for reuse (mallopt:
    /// M_MMAP_MAX 0, a trim threshold of 2 GiB, 64 MiB of top padding). Training steps then reuse the memory of the
    /// previous step instead of faulting it in again: more images per second for the recipe's network on a
    /// 2-core CPU (docs/performance.md). The setting is process-wide and lasting: the process keeps its peak native
    /// memory until it exits. Returns false, changing nothing, on other systems and C libraries.
    /// </summary>
    public static bool KeepFreedMemory()
    {
        if (FreedMemoryKept)
            return true;
        if (!OperatingSystem.IsLinux())
            return false;
        try
        {
            bool ok = mallopt(M_MMAP_MAX, 0) == 1
                      & mallopt(M_TRIM_THRESHOLD, int.MaxValue) == 1
                      & mallopt(M_TOP_PAD, 64 << 20) == 1;
            if (ok)
                Volatile.Write(ref _kept, 1);
            return ok;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int mallopt(int parameter, int value);
}
