using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet;

namespace WebApi;

/// <summary>One class and its score.</summary>
public sealed record ClassScore(string Label, float Score);

/// <summary>The answer to one image: the best class, its score, and the best classes in order.</summary>
public sealed record ImagePrediction(string Label, float Score, IReadOnlyList<ClassScore> Top);

/// <summary>
/// The loaded model zip and a pool of prediction engines on it. A PredictionEngine is not thread-safe, so each request
/// borrows one; all engines share the one model (and its ONNX Runtime session). The pool keeps at most
/// <see cref="ServingOptions.MaxConcurrentPredictions"/> engines, the most the service's concurrency limit lets
/// requests borrow at once, and disposes any it does not keep; they are created with <c>OwnsTransformer = false</c>,
/// so that disposing one leaves the model to the others.
/// </summary>
public sealed class ImageClassifier : IDisposable
{
    private readonly ObjectPool<PredictionEngine<PathRow, ScoreRow>> _engines;
    private readonly ITransformer _model;

    public ImageClassifier(ServingOptions options)
    {
        string modelPath = options.Model;
        if (string.IsNullOrWhiteSpace(modelPath))
            throw new InvalidOperationException("No model zip given: start the service with --Model path/to/model.zip.");
        if (!File.Exists(modelPath))
            throw new FileNotFoundException($"Model file '{modelPath}' does not exist.", modelPath);
        var context = new MLContext();
        _model = context.Model.Load(modelPath, out var inputSchema);
        // The zip names the column that takes image file paths; nothing here assumes an image size or a column name.
        var input = ServingInput.Find(_model, inputSchema);
        // For a disposable type the provider makes a pool that disposes what it drops, and everything when disposed.
        _engines = new DefaultObjectPoolProvider { MaximumRetained = options.MaxConcurrentPredictions }
            .Create(new EnginePolicy(context, input.Model, input.PathColumn));

        var engine = _engines.Get();
        try
        {
            var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
            engine.OutputSchema[nameof(ScoreRow.Score)].GetSlotNames(ref slotNames);
            Classes = slotNames.DenseValues().Select(n => n.ToString()).ToArray();
        }
        finally
        {
            _engines.Return(engine);
        }
        ModelPath = modelPath;
    }

    /// <summary>The model zip being served.</summary>
    public string ModelPath { get; }

    /// <summary>The class names, in the order of the Score slots.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>
    /// Scores one image file; the zip decodes, converts and resizes it as it did in training. Null when the file does
    /// not decode: a file can be complete to its end marker and still hold what no decoder reads.
    /// </summary>
    public ImagePrediction? Predict(string imagePath, int top)
    {
        var engine = _engines.Get();
        ScoreRow result;
        try
        {
            result = engine.Predict(new PathRow { ImagePath = imagePath });
        }
        catch (ArgumentException e) when (e.ParamName == "imageStream")
        {
            // ML.NET's LoadImages (MLImage.CreateFromStream) on bytes its decoders cannot read.
            return null;
        }
        finally
        {
            _engines.Return(engine);
        }
        var best = result.Score.Select((score, i) => new ClassScore(Classes[i], score))
            .OrderByDescending(c => c.Score).Take(top).ToList();
        return new ImagePrediction(result.PredictedLabel, result.Score.Max(), best);
    }

    /// <summary>
    /// Disposes the pooled engines, then the model, which deletes the temporary copy of the network ML.NET's ONNX scorer
    /// keeps (the service's container does this at shutdown).
    /// </summary>
    public void Dispose()
    {
        (_engines as IDisposable)?.Dispose();
        (_model as IDisposable)?.Dispose();
    }

    /// <summary>The zip's one input: an image file path, under the column name the zip declares.</summary>
    public sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
    }

    /// <summary>The columns every GoogLeNet zip outputs.</summary>
    public sealed class ScoreRow
    {
        public float[] Score { get; set; } = [];
        public string PredictedLabel { get; set; } = "";
    }

    private sealed class EnginePolicy(MLContext context, ITransformer model, string pathColumn)
        : IPooledObjectPolicy<PredictionEngine<PathRow, ScoreRow>>
    {
        public PredictionEngine<PathRow, ScoreRow> Create()
        {
            var input = SchemaDefinition.Create(typeof(PathRow));
            input[nameof(PathRow.ImagePath)].ColumnName = pathColumn;
            return context.Model.CreatePredictionEngine<PathRow, ScoreRow>(model,
                new PredictionEngineOptions { InputSchemaDefinition = input, OwnsTransformer = false });
        }

        public bool Return(PredictionEngine<PathRow, ScoreRow> engine) => true;
    }
}
