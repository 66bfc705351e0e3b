using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ModelBuilderStyle;

/// <summary>
/// The consumption half of a Model Builder-style model: ModelInput/ModelOutput and Predict from the saved zip.
/// Scoring needs only ML.NET (the zip runs the network with ONNX Runtime).
/// </summary>
public static partial class FashionClassifier
{
    /// <summary>Model input: an image file and, for training, its class.</summary>
    public class ModelInput
    {
        [LoadColumn(0)]
        [ColumnName("Label")]
        public string Label { get; set; } = "";

        [LoadColumn(1)]
        [ColumnName("ImagePath")]
        public string ImagePath { get; set; } = "";
    }

    /// <summary>Model output: the predicted class and one score per class.</summary>
    public class ModelOutput
    {
        [ColumnName("PredictedLabel")]
        public string PredictedLabel { get; set; } = "";

        [ColumnName("Score")]
        public float[] Score { get; set; } = [];
    }

    public static string ModelPath { get; set; } = Path.GetFullPath("FashionClassifier.zip");

    // A PredictionEngine is not thread-safe (ML.NET's documentation says to use one per thread, or a pool): each call
    // borrows one from a pool, so that Predict may be called from several threads at once. All the engines share
    // the one loaded model.
    private static readonly Lazy<ObjectPool<PredictionEngine<ModelInput, ModelOutput>>> PredictEngines = new(CreatePredictEngines, true);

    /// <summary>Predicts the class of one image with the model saved at <see cref="ModelPath"/>. Safe to call from several threads.</summary>
    public static ModelOutput Predict(ModelInput input) => WithEngine(engine => engine.Predict(input));

    /// <summary>Every class with its score, best first; the class names come from the Score column's slot names. Safe to call from several threads.</summary>
    public static IOrderedEnumerable<KeyValuePair<string, float>> PredictAllLabels(ModelInput input) =>
        WithEngine(engine => GetSortedScoresWithLabels(engine.OutputSchema, engine.Predict(input).Score));

    public static IOrderedEnumerable<KeyValuePair<string, float>> GetSortedScoresWithLabels(DataViewSchema schema, float[] scores)
    {
        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        schema.GetColumnOrNull("Score")!.Value.GetSlotNames(ref slotNames);
        return slotNames.DenseValues().Select(n => n.ToString()).Zip(scores, (label, score) => new KeyValuePair<string, float>(label, score))
            .OrderByDescending(pair => pair.Value);
    }

    private static T WithEngine<T>(Func<PredictionEngine<ModelInput, ModelOutput>, T> use)
    {
        var engine = PredictEngines.Value.Get();
        try
        {
            return use(engine);
        }
        finally
        {
            PredictEngines.Value.Return(engine);
        }
    }

    private static ObjectPool<PredictionEngine<ModelInput, ModelOutput>> CreatePredictEngines()
    {
        var mlContext = new MLContext();
        ITransformer model = mlContext.Model.Load(ModelPath, out _);
        // The model lives as long as the process; disposing it as the process exits deletes the temporary copy of the
        // network its ONNX scorer keeps.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => (model as IDisposable)?.Dispose();
        // The pool keeps an engine per processor and disposes any more it is handed back.
        return new DefaultObjectPoolProvider { MaximumRetained = Environment.ProcessorCount }.Create(new EnginePolicy(mlContext, model));
    }

    /// <summary>Engines on the shared model, made with OwnsTransformer = false: disposing one leaves the model to the others.</summary>
    private sealed class EnginePolicy(MLContext mlContext, ITransformer model) : PooledObjectPolicy<PredictionEngine<ModelInput, ModelOutput>>
    {
        public override PredictionEngine<ModelInput, ModelOutput> Create() =>
            mlContext.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model, new PredictionEngineOptions { OwnsTransformer = false });

        public override bool Return(PredictionEngine<ModelInput, ModelOutput> engine) => true;
    }
}
