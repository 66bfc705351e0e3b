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
    /// <summary>
    /// Test classes that change libtorch's process-wide switches run one after the other, and after the parallel
    /// tests with nothing beside them: a Fit in another test class overlapping theirs would hold the settings open.
    /// </summary>
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
    public void Two_overlapping_fits_with_different_thread_counts_leave_the_settings_as_they_were()
    {
        TorchRuntime.EnsureLoaded();
        var before = ProcessSettings.Current;
        // libtorch keeps a count per thread (OpenMP) and a process-wide one that new threads start from: both are checked.
        int newThreadBefore = OnNewThread(torch.get_num_threads);
        int threadsA = newThreadBefore + 1, threadsB = newThreadBefore + 2;
        var timeout = TimeSpan.FromMinutes(2);
        using var aStarted = new ManualResetEventSlim();
        using var bStarted = new ManualResetEventSlim();
        using var aDone = new ManualResetEventSlim();
        Exception? failureA = null, failureB = null;

        // A opens first and ends first; B opens while A trains and ends after A has returned: the order in which a
        // Fit that restores its own snapshot would leave A's count, as B found it, behind.
        var a = new Thread(() =>
        {
            try
            {
                var ml = new MLContext(1);
                var options = Options(threadsA);
                options.StartProgress = new ProgressHandler<TrainingStart>(_ => aStarted.Set());
                options.EpochProgress = new ProgressHandler<EpochReport>(_ =>
                {
                    if (!bStarted.Wait(timeout))
                        throw new TimeoutException("the second Fit did not start");
                });
                using var model = ml.MulticlassClassification.Trainers.GoogLeNet(ml, options).Fit(Data(ml));
            }
            catch (Exception e)
            {
                failureA = e;
            }
            finally
            {
                aStarted.Set();
                aDone.Set();
            }
        });
        var b = new Thread(() =>
        {
            try
            {
                if (!aStarted.Wait(timeout))
                    throw new TimeoutException("the first Fit did not start");
                var ml = new MLContext(2);
                var options = Options(threadsB);
                options.StartProgress = new ProgressHandler<TrainingStart>(_ => bStarted.Set());
                options.EpochProgress = new ProgressHandler<EpochReport>(_ =>
                {
                    if (!aDone.Wait(timeout))
                        throw new TimeoutException("the first Fit did not end");
                });
                using var model = ml.MulticlassClassification.Trainers.GoogLeNet(ml, options).Fit(Data(ml));
            }
            catch (Exception e)
            {
                failureB = e;
            }
            finally
            {
                bStarted.Set();
            }
        });
        a.Start();
        b.Start();
        Assert.True(a.Join(timeout) && b.Join(timeout), "the two Fit calls did not end");

        Assert.Null(failureA);
        Assert.Null(failureB);
        Assert.Equal(before, ProcessSettings.Current);  // this thread …
        Assert.Equal(newThreadBefore, OnNewThread(torch.get_num_threads));  // … and a new one have the count from before
    }

    private static T OnNewThread<T>(Func<T> read)
    {
        T value = default!;
        var thread = new Thread(() => value = read());
        thread.Start();
        thread.Join();
        return value;
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

/// <summary>Runs the <see cref="ProcessSettingsTests.Collection"/> classes after the parallel tests, with nothing beside them.</summary>
[CollectionDefinition(ProcessSettingsTests.Collection, DisableParallelization = true)]
public sealed class ProcessSettingsCollection;
