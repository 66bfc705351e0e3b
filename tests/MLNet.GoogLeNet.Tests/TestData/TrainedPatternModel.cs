using Microsoft.ML;
using MLNet.GoogLeNet.Tests.Learning;
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

    /// <summary>
    /// What the shared model learns, checked by TrainerLearningTests and, through the web API's answers, WebApiTests:
    /// held-out accuracy and log-loss, and from its first epoch to its last, the training accuracy's gain and the loss's
    /// ratio.
    /// </summary>
    internal static readonly LearningCase Learning = new(
        $"{nameof(Pipeline.TrainerLearningTests)}.{nameof(Pipeline.TrainerLearningTests.Learns_the_patterns_well_above_chance_on_held_out_images)}", Seed,
        seed =>
        {
            using var model = new TrainedPatternModel(seed);
            using var _ = model.GoogLeNet;
            return model.Outcome();
        },
        LearningBound.AtLeast("held-out accuracy", 0.85), LearningBound.AtMost("log-loss", 1.0),
        LearningBound.AtLeast("train accuracy gain", 0.01), LearningBound.AtMost("loss ratio", 0.99));

    /// <summary>The seed of the shared model's MLContext.</summary>
    private const int Seed = 1;

    public TrainedPatternModel() : this(Seed)
    {
    }

    private TrainedPatternModel(int seed)
    {
        Images = PatternImages.Create(trainPerClass: 80, testPerClass: 15);
        Context = new MLContext(seed: seed);
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

    /// <summary>The figures of <see cref="Learning"/>, from the held-out images and the epoch reports.</summary>
    public LearningOutcome Outcome()
    {
        var metrics = Context.MulticlassClassification.Evaluate(Model.Transform(TestData));
        return new(new Dictionary<string, double>
            {
                ["held-out accuracy"] = metrics.MicroAccuracy,
                ["log-loss"] = metrics.LogLoss,
                ["train accuracy gain"] = Epochs[^1].TrainAccuracy - Epochs[0].TrainAccuracy,
                ["loss ratio"] = Epochs[^1].Loss / Epochs[0].Loss,
            },
            "Loss/train accuracy per epoch: " + string.Join(" ", Epochs.Select(e => $"{e.Loss:F3}/{e.TrainAccuracy:F2}")));
    }

    public void Dispose() => Images.Dispose();
}

/// <summary>Test classes in this collection share one <see cref="TrainedPatternModel"/> (trained once, ~15 s).</summary>
[CollectionDefinition(TrainedPatternModel.Collection)]
public sealed class TrainedPatternModelCollection : ICollectionFixture<TrainedPatternModel>;
