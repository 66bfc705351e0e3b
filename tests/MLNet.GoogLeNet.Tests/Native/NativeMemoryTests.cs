using MLNet.GoogLeNet.Native;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Native;

public class NativeMemoryTests
{
    [Fact]
    public void Keeping_freed_memory_takes_effect_on_linux_glibc_and_tensors_still_work()
    {
        bool glibc = OperatingSystem.IsLinux() && new[] { "/lib/x86_64-linux-gnu/libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6", "/lib64/libc.so.6" }.Any(File.Exists);
        Assert.Equal(glibc, NativeMemory.KeepFreedMemory());
        Assert.Equal(glibc, NativeMemory.FreedMemoryKept);
        Assert.Equal(glibc, NativeMemory.KeepFreedMemory());  // idempotent

        // Large blocks now come from the heap: allocate, free and reuse a 64 MiB tensor a few times.
        for (int i = 0; i < 3; i++)
        {
            using var big = ones(16L << 20);
            Assert.Equal(16L << 20, big.sum().item<float>());
        }
    }
}
