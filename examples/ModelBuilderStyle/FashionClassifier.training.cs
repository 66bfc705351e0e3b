using Microsoft.ML;
using MLNet.GoogLeNet;

namespace ModelBuilderStyle;

/// <summary>The training half of a Model Builder-style model: BuildPipeline, RetrainPipeline, SaveModel.</summary>
public static partial class FashionClassifier
{
    /// <summary>
    /// The pipeline: ML.NET's image transforms, then GoogLeNet, then the predicted key back to its class name.
    /// <paramref name="channels"/>: 1 reads the images as grayscale, 3 as RGB (<c>ImageFolder.Scan(folder).Channels</c>
    /// says which keeps what a folder holds).
    /// </summary>
    public static IEstimator<ITransformer> BuildPipeline(MLContext mlContext, int channels = 1, int? epochs = null, int imageSize = 64)
    {
        var pipeline = ImagePreprocessing.FromImagePaths(mlContext, imageSize, channels)
            // The default preset (batch-normalised network, AdamW, one-cycle rate, label smoothing, small random
            // translations) for a few thousand images or fewer; epochs null keeps the preset's.
            .Append(mlContext.MulticlassClassification.Trainers.GoogLeNet(mlContext, new GoogLeNetTrainerOptions(TrainingPreset.Default)
            {
                LabelColumnName = "Label",
                FeatureColumnName = "Features",
                Epochs = epochs ?? new GoogLeNetTrainerOptions().Epochs,
            }))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel", "PredictedLabel"));
        return pipeline;
    }

    /// <summary>Fits the pipeline to <paramref name="trainData"/>.</summary>
    public static ITransformer RetrainPipeline(MLContext mlContext, IDataView trainData, int channels = 1, int? epochs = null)
    {
        var pipeline = BuildPipeline(mlContext, channels, epochs);
        return pipeline.Fit(trainData);
    }

    /// <summary>
    /// Saves the model to <see cref="ModelPath"/> (temporary file, then rename) for serving: its input schema declares the
    /// one column it needs, ImagePath.
    /// </summary>
    public static void SaveModel(MLContext mlContext, ITransformer model) =>
        ModelFile.SaveForServing(mlContext, model, ModelPath);
}
