using Microsoft.ML;
using MLNet.GoogLeNet.Native;
using MLNet.GoogLeNet.Tests.TestData;
using TorchSharp;

namespace MLNet.GoogLeNet.Tests.Native;

/// <summary>Fit says to set KeepNativeMemory where it trains on a CPU and the process hands freed memory back.</summary>
public sealed class NativeMemoryHintTests
{
    [Fact]
    public void The_hint_is_for_cpu_training_on_linux_while_freed_memory_goes_back()
    {
        Assert.Null(GoogLeNetTrainer.NativeMemoryHint(DeviceType.CPU, memoryKept: true));
        Assert.Null(GoogLeNetTrainer.NativeMemoryHint(DeviceType.CUDA, memoryKept: false));
        var hint = GoogLeNetTrainer.NativeMemoryHint(DeviceType.CPU, memoryKept: false);
        Assert.Equal(OperatingSystem.IsLinux(), hint is not null);
        if (hint is not null)
            Assert.Contains("Set KeepNativeMemory = true", hint);
    }

    [Fact]
    public void Fit_logs_the_hint_unless_the_process_keeps_its_freed_memory()
    {
        using var images = PatternImages.Create(trainPerClass: 4, testPerClass: 0, size: 32, seed: 5);
        var context = new MLContext(seed: 3);
        var messages = new List<string>();
        context.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        var options = new GoogLeNetTrainerOptions { Epochs = 1, BatchSize = 8, WidthDivisor = 16, MixedPrecision = MixedPrecision.None };
        // KeepFreedMemory is process-wide and lasting: whether this process keeps its freed memory depends on the tests
        // that ran before (the command line's in-process runs turn it on), and one running beside this may turn it on
        // during Fit, when the line can go either way. Run alone, this test sees it off and the line logged.
        bool keptBefore = NativeMemory.FreedMemoryKept;
        var model = PatternImages.Preprocessing(context, 32)
            .Append(context.MulticlassClassification.Trainers.GoogLeNet(context, options))
            .Fit(context.Data.LoadFromEnumerable(images.Train));
        bool keptAfter = NativeMemory.FreedMemoryKept;
        ((IEnumerable<ITransformer>)model).OfType<GoogLeNetTransformer>().Single().Dispose();

        bool logged;
        lock (messages)
            logged = messages.Any(m => m.Contains("Set KeepNativeMemory = true"));
        if (keptBefore == keptAfter)
            Assert.Equal(GoogLeNetTrainer.NativeMemoryHint(DeviceType.CPU, keptBefore) is not null, logged);
    }
}
