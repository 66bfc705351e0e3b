using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Native;
using MLNet.GoogLeNet.Tests.TestData;
using MLNet.GoogLeNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Native;

/// <summary>libtorch's C++ switches (cuDNN autotuning, autocast), exercised on the CPU build.</summary>
[Collection(ProcessSettingsTests.Collection)]
public class LibTorchSwitchesTests
{
    [Fact]
    public void Switches_are_reachable_on_linux()
    {
        Assert.Equal(OperatingSystem.IsLinux(), LibTorchSwitches.Available);
    }

    [LinuxFact]
    public void Cudnn_autotuning_flag_is_set_and_read_back()
    {
        bool original = LibTorchSwitches.CudnnBenchmark;
        try
        {
            LibTorchSwitches.CudnnBenchmark = true;
            Assert.True(LibTorchSwitches.CudnnBenchmark);
            LibTorchSwitches.CudnnBenchmark = false;
            Assert.False(LibTorchSwitches.CudnnBenchmark);
        }
        finally
        {
            LibTorchSwitches.CudnnBenchmark = original;
        }
    }

    [LinuxFact]
    public void Autocast_region_runs_the_forward_pass_in_bf16_and_ends_with_the_region()
    {
        using var net = new GoogLeNetNetwork(new GoogLeNetConfiguration(1, 3, 32, 32, WidthDivisor: 16), seed: 1);
        using var optimizer = optim.SGD(net.parameters(), learningRate: 0.1);
        using var scope = NewDisposeScope();
        var input = rand([4, 1, 32, 32], generator: new Generator(3));
        var target = tensor(new long[] { 0, 1, 2, 1 });
        var before = net.parameters().Select(p => p.detach().clone()).ToList();

        Tensor logits, loss;
        using (AutocastRegion.Enter(DeviceType.CPU, MixedPrecision.BFloat16))
        {
            Assert.True(LibTorchSwitches.IsAutocastEnabled(DeviceType.CPU));
            Assert.Equal(ScalarType.BFloat16, LibTorchSwitches.AutocastDType(DeviceType.CPU));
            using (AutocastRegion.Enter(DeviceType.CPU, MixedPrecision.BFloat16)) { }  // a nested region leaves the outer one on
            Assert.True(LibTorchSwitches.IsAutocastEnabled(DeviceType.CPU));
            logits = net.call(input);
            loss = nn.functional.cross_entropy(logits, target);
        }
        Assert.False(LibTorchSwitches.IsAutocastEnabled(DeviceType.CPU));
        Assert.Equal(ScalarType.BFloat16, logits.dtype);
        Assert.Equal(ScalarType.Float32, loss.dtype);
        loss.backward();
        optimizer.step();

        // Weights and their gradients stay fp32; the step moved them.
        Assert.All(net.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.All(net.parameters(), p => Assert.Equal(ScalarType.Float32, p.grad!.dtype));
        Assert.False(before[^2].allclose(net.parameters().ToList()[^2]), "dense weights did not change");
        // Outside the region the network computes in fp32 again.
        Assert.Equal(ScalarType.Float32, net.call(input).dtype);
        using (AutocastRegion.Enter(DeviceType.CPU, MixedPrecision.None))
            Assert.Equal(ScalarType.Float32, net.call(input).dtype);
    }

    [Fact]
    public void Mixed_precision_is_used_only_where_the_cpu_computes_bf16_natively()
    {
        static bool Native(params string[] flags) => new CpuDescription("x", null, null, flags.ToHashSet()).HasNativeBFloat16;
        Assert.True(Native("fpu", "avx2", "avx512_bf16"));
        Assert.True(Native("amx_bf16", "amx_tile"));
        Assert.False(Native("fpu", "avx2", "fma", "avx512f"));

        Assert.Equal(MixedPrecision.None, PrecisionSupport.Resolve(CPU, MixedPrecision.None, out var none));
        Assert.Null(none);

        var flags = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("flags", StringComparison.Ordinal)).Split(' ')
            : [];
        bool native = LibTorchSwitches.Available && (flags.Contains("avx512_bf16") || flags.Contains("amx_bf16"));
        var used = PrecisionSupport.Resolve(CPU, MixedPrecision.BFloat16, out var warning);
        Assert.Equal(native ? MixedPrecision.BFloat16 : MixedPrecision.None, used);
        if (native)
            Assert.Null(warning);
        else
            Assert.Contains("fp32", warning);
    }
}
