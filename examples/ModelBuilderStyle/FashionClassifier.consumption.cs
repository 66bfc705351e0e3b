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

    private static readonly Lazy<PredictionEngine<ModelInput, ModelOutput>> PredictEngine = new(CreatePredictEngine, true);

    /// <summary>Predicts the class of one image with the model saved at <see cref="ModelPath"/>.</summary>
    public static ModelOutput Predict(ModelInput input) => PredictEngine.Value.Predict(input);

    /// <summary>Every class with its score, best first; the class names come from the Score column's slot names.</summary>
    public static IOrderedEnumerable<KeyValuePair<string, float>> PredictAllLabels(ModelInput input)
    {
        var engine = PredictEngine.Value;
        var result = engine.Predict(input);
        return GetSortedScoresWithLabels(engine.OutputSchema, result.Score);
    }

    public static IOrderedEnumerable<KeyValuePair<string, float>> GetSortedScoresWithLabels(DataViewSchema schema, float[] scores)
    {
        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        schema.GetColumnOrNull("Score")!.Value.GetSlotNames(ref slotNames);
        return slotNames.DenseValues().Select(n => n.ToString()).Zip(scores, (label, score) => new KeyValuePair<string, float>(label, score))
            .OrderByDescending(pair => pair.Value);
    }

    private static PredictionEngine<ModelInput, ModelOutput> CreatePredictEngine()
    {
        var mlContext = new MLContext();
        ITransformer model = mlContext.Model.Load(ModelPath, out _);
        return mlContext.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model);
    }
}
