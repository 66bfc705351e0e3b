using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Transforms.Image;
using Microsoft.ML.Transforms.Onnx;
using MLNet.GoogLeNet.Export;

namespace MLNet.GoogLeNet.Bench.Phases;

/// <summary>
/// (c) Inference through the whole pipeline (image transforms included): Transform over a data view and
/// PredictionEngine row by row, for the fitted model (TorchSharp) in phase "inference" — which also saves the zip —
/// and for the model loaded from its zip (ONNX Runtime) in phase "serve", each in its own process so that peak
/// memory is its own.
/// </summary>
internal static class InferencePhase
{
    public static string ZipPath => Path.Combine(Path.GetTempPath(), "googlenet-bench-model.zip");

    /// <summary>The fitted network as ONNX on its own, for the like-for-like comparison with PyTorch (tensors in memory).</summary>
    public static string OnnxPath => Path.Combine(Path.GetTempPath(), "googlenet-bench-network.onnx");

    private sealed class Input
    {
        [ImageType(28, 28)]
        public MLImage? Image { get; set; }

        public string Label { get; set; } = "";
    }

    private sealed class Output
    {
        public float[] Score { get; set; } = [];
    }

    public static IEnumerable<Measurement> Fitted(BenchOptions options)
    {
        var ml = new MLContext(seed: 1);
        var train = BenchData.Load(options.Data, FashionMnistSplit.Train, options.BatchSize).ToDataView();
        var pipeline = ImagePreprocessing.FromImages(ml, 96, 1, FashionMnist.ClassNames)
            .Append(ml.MulticlassClassification.Trainers.GoogLeNet(ml, new GoogLeNetTrainerOptions(TrainingPreset.Recipe) { Epochs = 1, BatchSize = options.BatchSize }));
        var model = pipeline.Fit(train);
        ModelFile.Save(ml, model, train.Schema, ZipPath);
        OnnxExporter.Export(((IEnumerable<ITransformer>)model).OfType<GoogLeNetTransformer>().Single().Network, OnnxPath);
        return Measure("fitted", ml, model, options);
    }

    public static IEnumerable<Measurement> Loaded(BenchOptions options)
    {
        var ml = new MLContext(seed: 1);
        var model = ModelFile.Load(ml, ZipPath, out _);
        var results = Measure("loaded", ml, model, options).ToList();

        // The same zip for batch scoring: ML.NET reads the in-memory images on parallel cursors (one per core, at
        // least two), so each ONNX Runtime call gets one thread instead of sharing the session's pool.
        var batchContext = new MLContext(seed: 1);
        batchContext.SetOnnxSessionOption(new OnnxSessionOptions { IntraOpNumThreads = 1 });
        var batchModel = ModelFile.Load(batchContext, ZipPath, out _);
        results.Add(new Measurement("transform_loaded_one_thread_per_row", TransformRate(batchModel, options), "img/s"));
        File.Delete(ZipPath);
        results.Add(new Measurement("onnx_network_batch1", NetworkOnly(batch: 1, images: options.EngineImages), "img/s"));
        results.Add(new Measurement($"onnx_network_batch{options.BatchSize}", NetworkOnly(options.BatchSize, images: 3 * options.BatchSize), "img/s"));
        File.Delete(OnnxPath);
        return results;
    }

    /// <summary>
    /// (c') ONNX Runtime (default session options, as ML.NET's OnnxTransformer creates them) running the network on a
    /// tensor already in memory, as the PyTorch peer measures its inference: the median of three passes.
    /// </summary>
    private static double NetworkOnly(int batch, int images)
    {
        using var session = new InferenceSession(OnnxPath);
        var random = new Random(3);
        var pixels = new float[batch * 96 * 96];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (float)random.NextDouble();
        var inputs = new[] { NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.Single(), new DenseTensor<float>(pixels, [batch, 1, 96, 96])) };
        using (session.Run(inputs)) { }  // warm-up
        return MedianOfThree(() =>
        {
            for (int done = 0; done < images; done += batch)
                using (session.Run(inputs)) { }
            return images;
        });
    }

    /// <summary>Images per second of <paramref name="pass"/> (which returns the images it handled): the median of three passes.</summary>
    private static double MedianOfThree(Func<int> pass)
    {
        var rates = new double[3];
        for (int i = 0; i < rates.Length; i++)
        {
            var clock = Stopwatch.StartNew();
            int images = pass();
            rates[i] = images / clock.Elapsed.TotalSeconds;
        }
        Array.Sort(rates);
        return rates[1];
    }

    private static IEnumerable<Measurement> Measure(string which, MLContext ml, ITransformer model, BenchOptions options)
    {
        var test = BenchData.Load(options.Data, FashionMnistSplit.Test, options.InferenceImages);
        double transform = TransformRate(model, options);

        using var engine = ml.Model.CreatePredictionEngine<Input, Output>(model, new PredictionEngineOptions { OwnsTransformer = false });
        var inputs = Enumerable.Range(0, options.EngineImages + 4)
            .Select(i => new Input { Image = GrayscaleImages.ToImage(test.Image(i % test.Count), test.Width, test.Height) }).ToList();
        for (int i = 0; i < 4; i++) engine.Predict(inputs[i]);  // warm-up
        var clock = Stopwatch.StartNew();
        for (int i = 4; i < inputs.Count; i++)
            engine.Predict(inputs[i]);
        double predictions = options.EngineImages / clock.Elapsed.TotalSeconds;

        return
        [
            new Measurement($"transform_{which}", transform, "img/s"),
            new Measurement($"engine_{which}", predictions, "img/s"),
            new Measurement($"inference_{which}_peak_rss", Memory.PeakResidentMiB, "MiB"),
        ];
    }

    /// <summary>
    /// Images per second of <c>Transform</c> over the test images, read as an application reads scores (one cursor):
    /// the median of three passes, as the PyTorch peer takes the median of its batches.
    /// </summary>
    private static double TransformRate(ITransformer model, BenchOptions options)
    {
        var view = BenchData.Load(options.Data, FashionMnistSplit.Test, options.InferenceImages).ToDataView();
        Consume(model.Transform(BenchData.Load(options.Data, FashionMnistSplit.Test, 16).ToDataView()));  // warm-up
        return MedianOfThree(() => Consume(model.Transform(view)));
    }

    private static int Consume(IDataView scored)
    {
        int rows = 0;
        using var cursor = scored.GetRowCursor([scored.Schema["Score"]]);
        var getter = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        var value = default(VBuffer<float>);
        while (cursor.MoveNext())
        {
            getter(ref value);
            rows++;
        }
        return rows;
    }
}
