using Microsoft.ML;

namespace MLNet.GoogLeNet;

/// <summary>
/// Entry points in ML.NET's style: <c>mlContext.MulticlassClassification.Trainers.GoogLeNet(mlContext, …)</c>.
/// </summary>
/// <remarks>
/// The MLContext is passed explicitly because ML.NET keeps a catalog's link to its context internal to its own
/// assemblies; the trainer needs it for the seed, <c>GpuDeviceId</c>/<c>FallbackToCpu</c> and the <c>Log</c> event.
/// </remarks>
public static class GoogLeNetCatalog
{
    /// <summary>
    /// A GoogLeNet trainer with the recipe's defaults (5 epochs, batch 128, SGD learning rate 0.1, Xavier
    /// initialisation). See <see cref="GoogLeNetTrainer"/> for the columns it adds.
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="context">The MLContext whose seed, GPU settings and log the trainer uses.</param>
    /// <param name="labelColumnName">Key-typed label column.</param>
    /// <param name="featureColumnName">Known-size float vector column, C×H×W planar (ExtractPixels).</param>
    /// <param name="epochs">Passes over the training data.</param>
    /// <param name="batchSize">Images per SGD step.</param>
    /// <param name="learningRate">SGD learning rate.</param>
    /// <param name="validationSet">Data scored after every epoch to report validation accuracy; optional.</param>
    public static GoogLeNetTrainer GoogLeNet(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        MLContext context,
        string labelColumnName = "Label",
        string featureColumnName = "Features",
        int epochs = 5,
        int batchSize = 128,
        double learningRate = 0.1,
        IDataView? validationSet = null) =>
        catalog.GoogLeNet(context, new GoogLeNetTrainerOptions
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            Epochs = epochs,
            BatchSize = batchSize,
            LearningRate = learningRate,
            ValidationSet = validationSet,
        });

    /// <summary>A GoogLeNet trainer configured by <paramref name="options"/>.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="context">The MLContext whose seed, GPU settings and log the trainer uses.</param>
    /// <param name="options">Training options; every field documents its default.</param>
    public static GoogLeNetTrainer GoogLeNet(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        MLContext context,
        GoogLeNetTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new GoogLeNetTrainer(context, options);
    }
}
