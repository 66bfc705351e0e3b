using Microsoft.ML;
using TorchSharp;

namespace MLNet.GoogLeNet.Tests.TestData;

/// <summary>
/// Trains once, for all tests of a class, the pipeline a user composes — LoadImages → ConvertToGrayscale →
/// ResizeImages(32) → ExtractPixels → MapValueToKey → GoogLeNet → MapKeyToValue — on the four pattern classes,
/// with a width-reduced network (channels ÷ 8) so that it fits the CI budget.
/// </summary>
public sealed class TrainedPatternModel : IDisposable
{
    /// <summary>Name of the xunit collection whose test classes share one trained model.</summary>
    public const string Collection = "Trained pattern model";

    public const int ImageSize = 32;

    /// <summary>
    /// Engines made on the shared model with these options leave it alive when they are disposed (by default an
    /// engine disposes the model it was made from, which would free the network under the other tests).
    /// </summary>
    public static PredictionEngineOptions SharedModel => new() { OwnsTransformer = false };

    public TrainedPatternModel()
    {
        Images = PatternImages.Create(trainPerClass: 80, testPerClass: 15);
        Context = new MLContext(seed: 1);
        Context.Log += (_, e) =>
        {
            lock (LogMessages) LogMessages.Add(e.Message);
        };
        TrainData = Context.Data.LoadFromEnumerable(Images.Train);
        TestData = Context.Data.LoadFromEnumerable(Images.Test);
        // The recipe preset (the plain network, constant rate, nothing else) with Adam and Kaiming initialisation.
        Options = new GoogLeNetTrainerOptions(TrainingPreset.Recipe)
        {
            Epochs = 6,
            BatchSize = 8,
            Optimizer = OptimizerKind.Adam,
            LearningRate = 0.001,
            WidthDivisor = 8,
            Initialization = WeightInitialization.Kaiming,
            EpochProgress = new ProgressHandler<EpochReport>(report =>
            {
                Epochs.Add(report);
                LiveTensorsAfterEpoch.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
            }),
            BatchProgress = new ProgressHandler<BatchProgress>(progress => Batches.Add(progress)),
        };
        var pipeline = PatternImages.Preprocessing(Context, ImageSize)
            .Append(Context.MulticlassClassification.Trainers.GoogLeNet(Context, Options))
            .Append(Context.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        Model = pipeline.Fit(TrainData);
    }

    public PatternImages Images { get; }
    public MLContext Context { get; }
    public IDataView TrainData { get; }
    public IDataView TestData { get; }
    public GoogLeNetTrainerOptions Options { get; }
    public ITransformer Model { get; }
    public List<EpochReport> Epochs { get; } = [];
    public List<BatchProgress> Batches { get; } = [];
    public List<long> LiveTensorsAfterEpoch { get; } = [];
    public List<string> LogMessages { get; } = [];

    /// <summary>The GoogLeNet transformer inside the fitted pipeline.</summary>
    public GoogLeNetTransformer GoogLeNet => ((IEnumerable<ITransformer>)Model).OfType<GoogLeNetTransformer>().Single();

    public void Dispose() => Images.Dispose();
}

/// <summary>Test classes in this collection share one <see cref="TrainedPatternModel"/> (trained once, ~15 s).</summary>
[CollectionDefinition(TrainedPatternModel.Collection)]
public sealed class TrainedPatternModelCollection : ICollectionFixture<TrainedPatternModel>;
