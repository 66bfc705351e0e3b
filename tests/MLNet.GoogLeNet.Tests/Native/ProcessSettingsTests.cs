using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Native;
using MLNet.GoogLeNet.Tests.TestData;
using TorchSharp;

namespace MLNet.GoogLeNet.Tests.Native;

/// <summary>
/// Fit leaves libtorch's process-wide settings as its caller had them: the thread count it sets for training and the
/// CUDA switches are restored when it returns, throws or is cancelled.
/// </summary>
[Collection(Collection)]
public sealed class ProcessSettingsTests
{
    /// <summary>Test classes that change libtorch's process-wide switches run one after the other, not beside each other.</summary>
    public const string Collection = "Process-wide libtorch settings";

    private sealed class Row
    {
        [VectorType(1, 32, 32)]
        public float[] Features { get; set; } = new float[32 * 32];
        public string Label { get; set; } = "";
    }

    private static IDataView Data(MLContext ml, float fill = 0.5f)
    {
        var rows = Enumerable.Range(0, 8).Select(i => new Row
        {
            Features = Enumerable.Range(0, 32 * 32).Select(p => i % 2 == 0 ? fill : fill * (p % 7) / 7).ToArray(),
            Label = i % 2 == 0 ? "flat" : "ramp",
        }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        return ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
    }

    /// <summary>A thread count other than the current one, so that a Fit that asks for it changes something.</summary>
    private static int OtherThreadCount(int current) => current == 1 ? 2 : 1;

    private static GoogLeNetTrainerOptions Options(int threads, CancellationToken cancellation = default) => new()
    {
        Epochs = 1,
        BatchSize = 4,
        WidthDivisor = 16,
        NumberOfThreads = threads,
        CudnnAutotune = true,
        AllowTf32 = true,
        CancellationToken = cancellation,
    };

    [Fact]
    public void Thread_count_and_switches_are_unchanged_after_fit()
    {
        TorchRuntime.EnsureLoaded();
        var before = ProcessSettings.Current;
        int threads = OtherThreadCount(before.Threads);
        var ml = new MLContext(1);
        int? threadsDuringFit = null;
        var options = Options(threads);
        options.BatchProgress = new ProgressHandler<BatchProgress>(_ => threadsDuringFit ??= torch.get_num_threads());

        using var model = ml.MulticlassClassification.Trainers.GoogLeNet(ml, options).Fit(Data(ml));

        Assert.Equal(threads, threadsDuringFit);  // the option took effect while training …
        Assert.Equal(before, ProcessSettings.Current);  // … and is gone afterwards
    }

    [Fact]
    public void Thread_count_and_switches_are_unchanged_after_a_fit_that_throws_or_is_cancelled()
    {
        TorchRuntime.EnsureLoaded();
        var before = ProcessSettings.Current;
        int threads = OtherThreadCount(before.Threads);

        var ml = new MLContext(1);
        var error = Assert.Throws<InvalidOperationException>(() =>
            ml.MulticlassClassification.Trainers.GoogLeNet(ml, Options(threads)).Fit(Data(ml, fill: float.NaN)));
        Assert.Contains("Features", error.Message);
        Assert.Equal(before, ProcessSettings.Current);

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            ml.MulticlassClassification.Trainers.GoogLeNet(ml, Options(threads, cancelled.Token)).Fit(Data(ml)));
        Assert.Equal(before, ProcessSettings.Current);
    }

    [Fact]
    public void Scope_restores_every_setting_it_captured()
    {
        TorchRuntime.EnsureLoaded();
        var before = ProcessSettings.Current;
        var changed = before with
        {
            Threads = OtherThreadCount(before.Threads),
            MatmulTf32 = !before.MatmulTf32,
            CudnnTf32 = !before.CudnnTf32,
        };
        try
        {
            using (ProcessSettingsScope.Open())
            {
                changed.Apply();
                Assert.Equal(changed, ProcessSettings.Current);  // libtorch kept each new value
            }
            Assert.Equal(before, ProcessSettings.Current);
        }
        finally
        {
            before.Apply();
        }
    }

    [LinuxFact]
    public void Scope_restores_cudnn_autotuning()
    {
        Assert.True(LibTorchSwitches.Available);
        bool before = LibTorchSwitches.CudnnBenchmark;
        try
        {
            using (ProcessSettingsScope.Open())
            {
                LibTorchSwitches.CudnnBenchmark = !before;
                Assert.Equal(!before, ProcessSettings.Current.CudnnBenchmark);
            }
            Assert.Equal(before, LibTorchSwitches.CudnnBenchmark);
        }
        finally
        {
            LibTorchSwitches.CudnnBenchmark = before;
        }
    }
}
