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
    /// A GoogLeNet trainer with the options of <paramref name="preset"/> (by default <see cref="TrainingPreset.Default"/>;
    /// <see cref="TrainingPreset.Recipe"/> is the Dive into Deep Learning recipe), changed only where a value is given.
    /// See <see cref="GoogLeNetTrainer"/> for the columns it adds and <see cref="GoogLeNetTrainerOptions"/> for every
    /// option's default.
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="context">The MLContext whose seed, GPU settings and log the trainer uses.</param>
    /// <param name="labelColumnName">Key-typed label column.</param>
    /// <param name="featureColumnName">Known-size float vector column, C×H×W planar (ExtractPixels).</param>
    /// <param name="epochs">Passes over the training data; null for the preset's.</param>
    /// <param name="batchSize">Images per optimiser step; null for the preset's.</param>
    /// <param name="learningRate">Peak learning rate; null for the preset's.</param>
    /// <param name="validationSet">Data scored after every epoch to report validation accuracy; optional.</param>
    /// <param name="preset">The options the others change.</param>
    public static GoogLeNetTrainer GoogLeNet(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        MLContext context,
        string labelColumnName = GoogLeNetColumns.Label,
        string featureColumnName = GoogLeNetColumns.Features,
        int? epochs = null,
        int? batchSize = null,
        double? learningRate = null,
        IDataView? validationSet = null,
        TrainingPreset preset = TrainingPreset.Default)
    {
        var options = new GoogLeNetTrainerOptions(preset)
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            ValidationSet = validationSet,
        };
        if (epochs is { } e)
            options.Epochs = e;
        if (batchSize is { } b)
            options.BatchSize = b;
        if (learningRate is { } r)
            options.LearningRate = r;
        return catalog.GoogLeNet(context, options);
    }

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
