using System.Diagnostics;
using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;
using MLNet.GoogLeNet.Tests.TestData;
using Xunit.Abstractions;

namespace MLNet.GoogLeNet.Tests.Pipeline;

/// <summary>
/// A web service's pattern: one loaded model, a pool of PredictionEngines made on it (engines are not thread-safe;
/// the model is), many threads predicting at once. Every answer must equal the single-threaded one, and memory must
/// stay flat over the run.
/// </summary>
/// <remarks>Memory is measured for the whole process, so this class runs alone (its collection is not parallelised), on a
/// small model of its own.</remarks>
[Collection(Collection)]
public sealed class ServingUnderLoadTests : IClassFixture<ServingUnderLoadTests.ServingModel>, IDisposable
{
    public const string Collection = "Serving under load (alone)";

    private const int Threads = 8;
    private const int Rounds = 3;
    private const int PredictionsPerThreadPerRound = 40;

    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-serving-").FullName;
    private readonly ServingModel _fixture;
    private readonly ITestOutputHelper _output;

    public ServingUnderLoadTests(ServingModel fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private sealed class Prediction
    {
        public float[] Score { get; set; } = [];
        public string PredictedLabel { get; set; } = "";
    }

    /// <summary>Makes engines that leave the shared model alive when the pool disposes them.</summary>
    private sealed class EnginePolicy(MLContext context, ITransformer model) : PooledObjectPolicy<PredictionEngine<ImageRow, Prediction>>
    {
        public override PredictionEngine<ImageRow, Prediction> Create() =>
            context.Model.CreatePredictionEngine<ImageRow, Prediction>(model, new PredictionEngineOptions { OwnsTransformer = false });

        public override bool Return(PredictionEngine<ImageRow, Prediction> engine) => true;
    }

    [Theory]
    [InlineData("loaded zip")]
    [InlineData("fitted pipeline")]
    public void Eight_threads_through_a_pool_of_engines_agree_with_one_thread_and_memory_stays_flat(string source)
    {
        var context = new MLContext(seed: 1);
        ITransformer model = source == "loaded zip" ? LoadZip(context) : _fixture.Model;
        // A loaded chain deletes its temporary copy of the network when disposed; the fixture's model is the fixture's.
        using var loadedChain = source == "loaded zip" ? (IDisposable)model : null;
        var inputs = _fixture.Images.Test.Concat(_fixture.Images.Train).Select(r => new ImageRow { ImagePath = r.ImagePath }).ToArray();

        Prediction[] expected;
        using (var single = context.Model.CreatePredictionEngine<ImageRow, Prediction>(model, new PredictionEngineOptions { OwnsTransformer = false }))
            expected = inputs.Select(single.Predict).ToArray();
        Assert.True(expected.Select(p => p.PredictedLabel).Distinct().Count() > 1, "the single-threaded answers are all one class");

        var pool = new DefaultObjectPool<PredictionEngine<ImageRow, Prediction>>(new EnginePolicy(context, model), Threads);
        var mismatches = new List<string>();
        void Round(int round, int perThread) => Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, thread =>
        {
            for (int k = 0; k < perThread; k++)
            {
                int i = (thread * 37 + round * 11 + k) % inputs.Length;
                var engine = pool.Get();
                Prediction actual;
                try
                {
                    actual = engine.Predict(inputs[i]);
                }
                finally
                {
                    pool.Return(engine);
                }
                if (actual.PredictedLabel != expected[i].PredictedLabel || !actual.Score.SequenceEqual(expected[i].Score))
                {
                    lock (mismatches)
                        mismatches.Add($"thread {thread}, input {i}: {actual.PredictedLabel} [{string.Join(", ", actual.Score)}] " +
                                       $"vs {expected[i].PredictedLabel} [{string.Join(", ", expected[i].Score)}]");
                }
            }
        });

        Round(0, PredictionsPerThreadPerRound / 2);  // warm-up: engines made, ONNX Runtime's and libtorch's pools grown
        var (managedStart, nativeStart) = Memory();
        var growth = new List<string>();
        for (int round = 1; round <= Rounds; round++)
        {
            Round(round, PredictionsPerThreadPerRound);
            var (managed, native) = Memory();
            growth.Add($"round {round}: managed {(managed - managedStart) / 1024} KiB, resident {(native - nativeStart) / 1024} KiB");
        }
        var (managedEnd, nativeEnd) = Memory();
        _output.WriteLine($"{source}: {string.Join("; ", growth)}");

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {Threads * Rounds * PredictionsPerThreadPerRound} predictions differ from one thread's:\n" +
                                            string.Join("\n", mismatches.Take(5)));
        // Generous bounds for a run of 960 predictions after the warm-up: a leak of even a few kilobytes per
        // prediction would exceed them, noise in the collector and the allocator does not.
        Assert.True(managedEnd - managedStart < 8 << 20, $"managed memory grew by {(managedEnd - managedStart) / 1024} KiB: {string.Join("; ", growth)}");
        Assert.True(nativeEnd - nativeStart < 64 << 20, $"resident memory grew by {(nativeEnd - nativeStart) / 1024} KiB: {string.Join("; ", growth)}");
    }

    private ITransformer LoadZip(MLContext context)
    {
        string path = Path.Combine(_folder, "model.zip");
        ModelFile.Save(_fixture.Context, _fixture.Model, _fixture.TrainData.Schema, path);
        return ModelFile.Load(context, path, out _);
    }

    /// <summary>A small network trained once for the class on the four pattern classes.</summary>
    public sealed class ServingModel : IDisposable
    {
        public ServingModel()
        {
            Images = PatternImages.Create(trainPerClass: 24, testPerClass: 10, size: 32, seed: 4);
            Context = new MLContext(seed: 2);
            TrainData = Context.Data.LoadFromEnumerable(Images.Train);
            var options = new GoogLeNetTrainerOptions(TrainingPreset.Recipe)
            {
                Epochs = 3,
                BatchSize = 8,
                Optimizer = OptimizerKind.Adam,
                LearningRate = 0.002,
                WidthDivisor = 16,
                Initialization = WeightInitialization.Kaiming,
            };
            Model = PatternImages.Preprocessing(Context, 32)
                .Append(Context.MulticlassClassification.Trainers.GoogLeNet(Context, options))
                .Append(Context.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
                .Fit(TrainData);
        }

        public PatternImages Images { get; }
        public MLContext Context { get; }
        public IDataView TrainData { get; }
        public ITransformer Model { get; }

        public void Dispose() => Images.Dispose();
    }

    /// <summary>Managed heap after a full collection, and the process's resident set.</summary>
    private static (long Managed, long Resident) Memory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long managed = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        return (managed, process.WorkingSet64);
    }
}

/// <summary>Runs <see cref="ServingUnderLoadTests"/> after the parallel tests, with nothing beside it.</summary>
[CollectionDefinition(ServingUnderLoadTests.Collection, DisableParallelization = true)]
public sealed class ServingUnderLoadCollection;
