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

    /// <summary>
    /// A featurizer: the features the network of <paramref name="weights"/> computes before its classifier head, for any
    /// ML.NET trainer or for search (<see cref="GoogLeNetFeaturizerEstimator"/>, which lists its columns). Fitted, it is
    /// ML.NET's ONNX scorer, which serves with ML.NET and ONNX Runtime alone.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="context">The MLContext whose GPU settings the ONNX scorer takes.</param>
    /// <param name="weights">A model zip saved by this library, a checkpoint, a PyTorch state dict or safetensors file of a
    /// network of the family, or published weights by name (<c>torchvision:googlenet</c>) or address, as
    /// <see cref="GoogLeNetTrainerOptions.FineTuneFrom"/> takes them.</param>
    /// <param name="outputColumnName">The features' column.</param>
    /// <param name="inputColumnName">The planar C×H×W pixels in [0, 1] (<see cref="ImagePreprocessing"/>).</param>
    /// <param name="imageSize">The height and width for a file that does not record them (a state dict); default the
    /// architecture's (224 for torchvision's GoogLeNet). A zip or checkpoint takes its own.</param>
    /// <param name="channels">The channels for a file that does not record them; default the architecture's, else 3.</param>
    /// <exception cref="InvalidOperationException">The weights are missing, unreadable, or of no network of this library.</exception>
    public static GoogLeNetFeaturizerEstimator GoogLeNetFeaturizer(
        this TransformsCatalog catalog,
        MLContext context,
        string weights,
        string outputColumnName = GoogLeNetColumns.ImageFeatures,
        string inputColumnName = GoogLeNetColumns.Features,
        int? imageSize = null,
        int? channels = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return GoogLeNetFeaturizerEstimator.FromWeights(context, weights, outputColumnName, inputColumnName, imageSize, channels);
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
