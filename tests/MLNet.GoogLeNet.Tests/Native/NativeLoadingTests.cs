using System.Runtime.InteropServices;
using MLNet.GoogLeNet.Native;
using MLNet.GoogLeNet.Tests.TestData;
using TorchSharp;

namespace MLNet.GoogLeNet.Tests.Native;

public class NativeLoadingTests
{
    private const string Version = LibTorchSharpLoader.Version;

    [Fact]
    public void TorchSharp_initialises_from_the_test_output()
    {
        TorchRuntime.EnsureLoaded();
        using var x = torch.ones(2, 3);
        Assert.Equal(6f, x.sum().item<float>());
    }

    [LinuxFact]
    public void Patched_copy_is_loaded_exactly_when_the_loader_refuses_the_output_copy_which_stays_untouched()
    {
        TorchRuntime.EnsureLoaded();
        string output = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(output), $"{output} is missing from the test output");

        // The loader's verdict on the output copy, with whatever libstdc++ it resolves in this process.
        bool loaderAccepts = NativeLibrary.TryLoad(output, out _);
        Assert.Equal(!loaderAccepts, LibTorchSharpLoader.PatchedCopy is not null);
        Assert.Null(LibTorchSharpLoader.Failure);
        byte[] original = File.ReadAllBytes(output);
        Assert.Equal(ElfVersionNeeds.Outcome.Marked, ElfVersionNeeds.MarkWeak(original.ToArray(), Version));

        if (LibTorchSharpLoader.PatchedCopy is { } copy)
        {
            byte[] patched = File.ReadAllBytes(copy);
            Assert.Equal(ElfVersionNeeds.Outcome.AlreadyWeak, ElfVersionNeeds.MarkWeak(patched.ToArray(), Version));
            Assert.Equal(original.Length, patched.Length);
            Assert.Single(Enumerable.Range(0, original.Length), i => original[i] != patched[i]); // the flag's low byte
        }
    }

    [LinuxFact]
    public void Marking_weak_changes_the_one_flag_and_reads_the_needed_libraries()
    {
        string output = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        byte[] elf = File.ReadAllBytes(output);
        Assert.Equal(["libtorch.so", "libc10.so", "libtorch_cpu.so"], ElfVersionNeeds.Needed(elf).Take(3));
        Assert.Contains("libstdc++.so.6", ElfVersionNeeds.Needed(elf));

        Assert.Equal(ElfVersionNeeds.Outcome.Marked, ElfVersionNeeds.MarkWeak(elf, Version));
        Assert.Equal(ElfVersionNeeds.Outcome.AlreadyWeak, ElfVersionNeeds.MarkWeak(elf, Version));
        Assert.Equal(ElfVersionNeeds.Outcome.NotNeeded, ElfVersionNeeds.MarkWeak(elf, "GLIBCXX_9.9.9"));

        Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.MarkWeak(elf[..4096], Version));
        Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.MarkWeak(new byte[100], Version));
    }
}
