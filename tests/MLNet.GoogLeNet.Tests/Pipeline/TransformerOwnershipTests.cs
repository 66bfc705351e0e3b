using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Pipeline;

/// <summary>
/// The fitted transformer owns the one copy of the trained weights: what Transform, PredictionEngine and Save use,
/// and what Dispose frees once nothing scores with it any more.
/// </summary>
public class TransformerOwnershipTests
{
    private const int Size = 32;

    private sealed class Row
    {
        [VectorType(Size * Size)]
        public float[] Features { get; set; } = new float[Size * Size];
        public string Label { get; set; } = "";
    }

    private sealed class Prediction
    {
        public float[] Score { get; set; } = [];
    }

    private static List<Row> Rows(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i => new Row
        {
            Label = (i % 3).ToString(System.Globalization.CultureInfo.InvariantCulture),
            Features = Enumerable.Range(0, Size * Size).Select(_ => (float)random.NextDouble() + i % 3).ToArray(),
        }).ToList();
    }

    private static (MLContext Context, IDataView Data, List<Row> Rows, TransformerChain<GoogLeNetTransformer> Model) Fit()
    {
        var context = new MLContext(seed: 1);
        var rows = Rows(48, seed: 2);
        var data = context.Data.LoadFromEnumerable(rows);
        var options = new GoogLeNetTrainerOptions
        {
            Epochs = 1, BatchSize = 16, Optimizer = OptimizerKind.Adam, LearningRate = 0.001, WidthDivisor = 16,
            Initialization = WeightInitialization.Kaiming,
        };
        var model = context.Transforms.Conversion.MapValueToKey("Label")
            .Append(context.MulticlassClassification.Trainers.GoogLeNet(context, options))
            .Fit(data);
        return (context, data, rows, model);
    }

    [Fact]
    public void Changing_the_network_weights_after_Fit_changes_Transform_PredictionEngine_and_the_saved_zip_alike()
    {
        var (context, data, rows, model) = Fit();
        var before = model.Transform(data).GetColumn<float[]>("Score").ToList();

        // What fine-tuning or loading a checkpoint does: new values in the network's own tensors.
        using (no_grad())
        {
            var dense = model.LastTransformer.Network.named_parameters().Single(p => p.name == "dense.weight").parameter;
            dense.mul_(-4);
        }

        var transformed = model.Transform(data).GetColumn<float[]>("Score").ToList();
        var engine = context.Model.CreatePredictionEngine<Row, Prediction>(model);
        var predicted = rows.Select(row => engine.Predict(row).Score).ToList();
        string folder = Directory.CreateTempSubdirectory("googlenet-owner-").FullName;
        try
        {
            string path = Path.Combine(folder, "model.zip");
            ModelFile.Save(context, model, data.Schema, path);
            var loaded = ModelFile.Load(new MLContext(), path, out _);
            using var loadedChain = (IDisposable)loaded;  // the loaded chain deletes its temporary copy of the network when disposed
            var fromZip = loaded.Transform(data).GetColumn<float[]>("Score").ToList();

            double changed = 0;
            for (int row = 0; row < rows.Count; row++)
            for (int c = 0; c < 3; c++)
            {
                changed = Math.Max(changed, Math.Abs(before[row][c] - transformed[row][c]));
                Assert.True(Math.Abs(transformed[row][c] - predicted[row][c]) <= 1e-5,
                    $"row {row} class {c}: Transform {transformed[row][c]}, PredictionEngine {predicted[row][c]}");
                Assert.True(Math.Abs(transformed[row][c] - fromZip[row][c]) <= 1e-4,
                    $"row {row} class {c}: Transform {transformed[row][c]}, saved zip {fromZip[row][c]}");
            }
            Assert.True(changed > 0.05, $"the scores moved by at most {changed} after the weights changed");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void An_engine_that_owns_the_model_frees_it_and_the_model_then_says_so()
    {
        var (context, data, rows, model) = Fit();
        var googLeNet = model.LastTransformer;
        var weight = googLeNet.Network.parameters().First();
        var engine = context.Model.CreatePredictionEngine<Row, Prediction>(model);  // OwnsTransformer: true by default
        Assert.Equal(3, engine.Predict(rows[0]).Score.Length);

        engine.Dispose();
        Assert.True(googLeNet.IsDisposed);
        Assert.True(weight.IsInvalid);  // the native memory is freed
        var error = Assert.Throws<ObjectDisposedException>(() => model.Transform(data).GetColumn<float[]>("Score").ToList());
        Assert.Contains("OwnsTransformer = false", error.Message);
        Assert.Throws<ObjectDisposedException>(() => googLeNet.Network);
        Assert.Throws<ObjectDisposedException>(() => context.Model.CreatePredictionEngine<Row, Prediction>(model));
        googLeNet.Dispose();  // again: nothing happens
    }

    [Fact]
    public void Engines_that_do_not_own_the_model_share_it_until_the_model_is_disposed()
    {
        var (context, data, rows, model) = Fit();
        var googLeNet = model.LastTransformer;
        var weight = googLeNet.Network.parameters().First();
        var shared = new PredictionEngineOptions { OwnsTransformer = false };
        var first = context.Model.CreatePredictionEngine<Row, Prediction>(model, shared);
        var second = context.Model.CreatePredictionEngine<Row, Prediction>(model, shared);
        var expected = second.Predict(rows[0]).Score;

        first.Dispose();
        Assert.False(googLeNet.IsDisposed);
        Assert.Equal(expected, second.Predict(rows[0]).Score);
        Assert.Equal(rows.Count, model.Transform(data).GetColumn<float[]>("Score").Count());

        model.Dispose();
        Assert.True(googLeNet.IsDisposed);
        Assert.True(weight.IsInvalid);
        var error = Assert.Throws<ObjectDisposedException>(() => second.Predict(rows[0]));
        Assert.Contains("has been disposed", error.Message);
    }

    [Fact]
    public void Dispose_while_threads_score_waits_for_them_and_scoring_after_it_throws_ObjectDisposedException()
    {
        var (context, data, rows, model) = Fit();
        var googLeNet = model.LastTransformer;
        var weight = googLeNet.Network.parameters().First();
        var shared = new PredictionEngineOptions { OwnsTransformer = false };
        float[][] expected;
        using (var single = context.Model.CreatePredictionEngine<Row, Prediction>(model, shared))
            expected = rows.Select(row => single.Predict(row).Score).ToArray();

        const int Threads = 4;
        using var scoring = new CountdownEvent(Threads);
        var outcomes = new string[Threads];
        var workers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            int scored = 0;
            try
            {
                // Three threads score single rows through their own engines, one reads batches through Transform.
                using var engine = context.Model.CreatePredictionEngine<Row, Prediction>(model, shared);
                for (int i = t; ; i++)
                {
                    if (t == 0)
                    {
                        var batch = model.Transform(data).GetColumn<float[]>("Score").ToList();
                        for (int row = 0; row < rows.Count; row++)
                            if (!Close(batch[row], expected[row]))
                                throw new InvalidOperationException($"Transform gave row {row} other scores while the model was in use");
                    }
                    else if (!Close(engine.Predict(rows[i % rows.Count]).Score, expected[i % rows.Count]))
                    {
                        throw new InvalidOperationException($"row {i % rows.Count} scored otherwise while the model was in use");
                    }
                    if (++scored == 3)
                        scoring.Signal();
                }
            }
            catch (ObjectDisposedException e)
            {
                outcomes[t] = scored >= 3 ? "disposed: " + e.Message : $"disposed after only {scored} scorings";
            }
            catch (Exception e)
            {
                outcomes[t] = $"failed after {scored} scorings: {e}";
                if (scored < 3)
                    scoring.Signal();
            }
        }) { IsBackground = true }).ToList();
        workers.ForEach(w => w.Start());

        Assert.True(scoring.Wait(TimeSpan.FromMinutes(2)), "the scoring threads did not all start");
        googLeNet.Dispose();  // while every thread is scoring
        Assert.True(weight.IsInvalid);
        foreach (var worker in workers)
            Assert.True(worker.Join(TimeSpan.FromMinutes(1)), "a scoring thread went on after Dispose");

        for (int t = 0; t < Threads; t++)
        {
            Assert.StartsWith("disposed: ", outcomes[t]);
            Assert.Contains("has been disposed", outcomes[t]);
        }
        Assert.Throws<ObjectDisposedException>(() => context.Model.CreatePredictionEngine<Row, Prediction>(model, shared));
    }

    private static bool Close(float[] actual, float[] expected) =>
        actual.Length == expected.Length && actual.Zip(expected).All(p => Math.Abs(p.First - p.Second) <= 1e-5);
}
