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
/// <remarks>
/// The zip is saved with <see cref="ModelFile.Save"/>, which declares the in-memory image column as a column of image
/// file paths (<c>ImagePath</c>) and starts the model by loading the file named there. Phase "serve" scores it as a
/// serving application does (docs/serving.md): <see cref="ServingInput.Find"/> reads the zip's input, and the
/// in-memory images go through <see cref="ServingInput.FromImages"/>, the zip's steps after the image loading — the
/// same work the fitted model does on the same images, so that the (c) rows compare like for like; one more row
/// times <see cref="ServingInput.Model"/> reading PNG files, as <c>googlenet predict</c> and the web API serve.
/// </remarks>
internal static class InferencePhase
{
    private static string Folder(BenchOptions options) =>
        Directory.CreateDirectory(options.WorkFolder ?? BenchOptions.DefaultWorkFolder).FullName;

    private static string ZipPath(BenchOptions options) => Path.Combine(Folder(options), "googlenet-bench-model.zip");

    /// <summary>The fitted network as ONNX on its own, for the like-for-like comparison with PyTorch (tensors in memory).</summary>
    private static string OnnxPath(BenchOptions options) => Path.Combine(Folder(options), "googlenet-bench-network.onnx");

    private sealed class Input
    {
        [ImageType(28, 28)]
        public MLImage? Image { get; set; }

        public string Label { get; set; } = "";
    }

    /// <summary>A row as a serving application gives it: the path of an image file (the column is named by the zip).</summary>
    private sealed class FileInput
    {
        public string ImagePath { get; set; } = "";
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
        ModelFile.Save(ml, model, train.Schema, ZipPath(options));
        OnnxExporter.Export(((IEnumerable<ITransformer>)model).OfType<GoogLeNetTransformer>().Single().Network, OnnxPath(options));
        return Measure("fitted", ml, model, "Image", options);
    }

    public static IEnumerable<Measurement> Loaded(BenchOptions options)
    {
        string zip = ZipPath(options);
        if (!File.Exists(zip))
            throw new FileNotFoundException(
                $"Phase serve scores the zip that phase inference saves, and there is none at '{zip}': run phase inference " +
                "first with the same --work folder (a whole run does both).", zip);
        var ml = new MLContext(seed: 1);
        var (serving, loaded) = Serving(ml, zip);
        using var loadedChain = loaded;
        var results = Measure("loaded", ml, serving.FromImages(out string imageColumn), imageColumn, options).ToList();
        results.Add(new Measurement("engine_loaded_files", FileEngineRate(ml, serving, options), "img/s"));

        // The same zip for batch scoring: ML.NET reads the in-memory images on parallel cursors (one per core, at
        // least two), so each ONNX Runtime call gets one thread instead of sharing the session's pool.
        var batchContext = new MLContext(seed: 1);
        batchContext.SetOnnxSessionOption(new OnnxSessionOptions { IntraOpNumThreads = 1 });
        var (batchServing, batchLoaded) = Serving(batchContext, zip);
        using var batchChain = batchLoaded;
        var batchModel = batchServing.FromImages(out string batchColumn);
        results.Add(new Measurement("transform_loaded_one_thread_per_row", TransformRate(batchModel, batchColumn, options), "img/s"));
        File.Delete(zip);
        string onnx = OnnxPath(options);
        results.Add(new Measurement("onnx_network_batch1", NetworkOnly(onnx, batch: 1, images: options.EngineImages), "img/s"));
        results.Add(new Measurement($"onnx_network_batch{options.BatchSize}", NetworkOnly(onnx, options.BatchSize, images: 3 * options.BatchSize), "img/s"));
        File.Delete(onnx);
        return results;
    }

    /// <summary>
    /// The zip loaded as a serving application loads it, its input read from the zip itself, and the loaded chain to
    /// dispose after (which deletes its temporary copy of the network).
    /// </summary>
    private static (ServingInput Input, IDisposable Loaded) Serving(MLContext ml, string zip)
    {
        var model = ModelFile.Load(ml, zip, out var inputSchema);
        return (ServingInput.Find(model, inputSchema), (IDisposable)model);
    }

    /// <summary>
    /// Images per second of a <c>PredictionEngine</c> on <see cref="ServingInput.Model"/> given the path of a PNG file per
    /// row, as <c>googlenet predict</c> and the web API score uploads: decoding the file is part of the figure.
    /// </summary>
    private static double FileEngineRate(MLContext ml, ServingInput serving, BenchOptions options)
    {
        var test = BenchData.Load(options.Data, FashionMnistSplit.Test, options.InferenceImages);
        string folder = Directory.CreateDirectory(Path.Combine(Folder(options), "png")).FullName;
        var paths = Enumerable.Range(0, Math.Min(test.Count, options.EngineImages)).Select(i =>
        {
            string path = Path.Combine(folder, $"{i:D5}.png");
            using var image = GrayscaleImages.ToImage(test.Image(i), test.Width, test.Height);
            image.Save(path);
            return path;
        }).ToList();
        var definition = SchemaDefinition.Create(typeof(FileInput));
        definition[nameof(FileInput.ImagePath)].ColumnName = serving.PathColumn;
        using var engine = ml.Model.CreatePredictionEngine<FileInput, Output>(serving.Model,
            new PredictionEngineOptions { InputSchemaDefinition = definition, OwnsTransformer = false });
        var rows = Enumerable.Range(0, options.EngineImages + 4).Select(i => new FileInput { ImagePath = paths[i % paths.Count] }).ToList();
        double rate = EngineRate(rows, row => engine.Predict(row));
        Directory.Delete(folder, recursive: true);
        return rate;
    }

    /// <summary>
    /// (c') ONNX Runtime (default session options, as ML.NET's OnnxTransformer creates them) running the network on a
    /// tensor already in memory, as the PyTorch peer measures its inference: the median of three passes.
    /// </summary>
    private static double NetworkOnly(string onnx, int batch, int images)
    {
        using var session = new InferenceSession(onnx);
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

    /// <summary>
    /// Transform over the test images and a PredictionEngine row by row, <paramref name="model"/> reading in-memory
    /// images from <paramref name="imageColumn"/>.
    /// </summary>
    private static IEnumerable<Measurement> Measure(string which, MLContext ml, ITransformer model, string imageColumn, BenchOptions options)
    {
        var test = BenchData.Load(options.Data, FashionMnistSplit.Test, options.InferenceImages);
        double transform = TransformRate(model, imageColumn, options);

        var definition = SchemaDefinition.Create(typeof(Input));
        definition[nameof(Input.Image)].ColumnName = imageColumn;
        using var engine = ml.Model.CreatePredictionEngine<Input, Output>(model,
            new PredictionEngineOptions { InputSchemaDefinition = definition, OwnsTransformer = false });
        // ML.NET's image steps dispose the images they read: every row gets its own.
        var inputs = Enumerable.Range(0, options.EngineImages + 4)
            .Select(i => new Input { Image = GrayscaleImages.ToImage(test.Image(i % test.Count), test.Width, test.Height) }).ToList();
        double predictions = EngineRate(inputs, row => engine.Predict(row));

        return
        [
            new Measurement($"transform_{which}", transform, "img/s"),
            new Measurement($"engine_{which}", predictions, "img/s"),
            new Measurement($"inference_{which}_peak_rss", Memory.PeakResidentMiB, "MiB"),
        ];
    }

    /// <summary>Rows per second of <paramref name="predict"/> over <paramref name="rows"/>, after the first four as a warm-up.</summary>
    private static double EngineRate<T>(IReadOnlyList<T> rows, Action<T> predict)
    {
        for (int i = 0; i < 4; i++) predict(rows[i]);
        var clock = Stopwatch.StartNew();
        for (int i = 4; i < rows.Count; i++)
            predict(rows[i]);
        return (rows.Count - 4) / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Images per second of <c>Transform</c> over the test images, read as an application reads scores (one cursor):
    /// the median of three passes, as the PyTorch peer takes the median of its batches.
    /// </summary>
    private static double TransformRate(ITransformer model, string imageColumn, BenchOptions options)
    {
        var view = BenchData.Load(options.Data, FashionMnistSplit.Test, options.InferenceImages).ToDataView(imageColumn);
        Consume(model.Transform(BenchData.Load(options.Data, FashionMnistSplit.Test, 16).ToDataView(imageColumn)));  // warm-up
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
