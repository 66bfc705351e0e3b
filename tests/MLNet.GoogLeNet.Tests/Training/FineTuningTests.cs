using Microsoft.ML;
using Xunit.Abstractions;
using MLNet.GoogLeNet.Tests.TestData;
using MLNet.GoogLeNet.Training;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Training;

/// <summary>
/// Fine-tuning from a checkpoint to a new set of classes: the feature extractor is kept, the classifier head is new,
/// frozen epochs leave the kept weights alone, and the network learns the new classes.
/// </summary>
public sealed class FineTuningTests(ITestOutputHelper output) : IDisposable
{
    // The base network learns three of the pattern classes; fine-tuning teaches it all four.
    private readonly PatternImages _threeClasses = PatternImages.Create(trainPerClass: 24, testPerClass: 0, size: 32, seed: 2, classCount: 3);
    private readonly PatternImages _fourClasses = PatternImages.Create(trainPerClass: 40, testPerClass: 10, size: 32, seed: 3);
    private readonly string _checkpoints = Directory.CreateTempSubdirectory("googlenet-fine-tuning-").FullName;

    public void Dispose()
    {
        _threeClasses.Dispose();
        _fourClasses.Dispose();
        Directory.Delete(_checkpoints, recursive: true);
    }

    private static GoogLeNetTrainerOptions Options(int epochs) => new(TrainingPreset.Recipe)
    {
        Epochs = epochs, BatchSize = 8, Optimizer = OptimizerKind.Adam, LearningRate = 0.001, WidthDivisor = 8,
        Initialization = WeightInitialization.Kaiming,
    };

    private static (GoogLeNetTransformer Network, ITransformer Model) Fit(MLContext ml, IReadOnlyList<ImageRow> rows, GoogLeNetTrainerOptions options)
    {
        var model = PatternImages.Preprocessing(ml, 32)
            .Append(ml.MulticlassClassification.Trainers.GoogLeNet(ml, options))
            .Fit(ml.Data.LoadFromEnumerable(rows));
        return (((IEnumerable<ITransformer>)model).OfType<GoogLeNetTransformer>().Single(), model);
    }

    [Fact]
    public void Fine_tuning_a_checkpoint_or_a_zip_to_new_classes_keeps_frozen_weights_and_learns_the_new_classes()
    {
        var ml = new MLContext(seed: 1);
        var baseOptions = Options(epochs: 3);
        baseOptions.CheckpointDirectory = _checkpoints;
        var (trained, baseModel) = Fit(ml, _threeClasses.Train, baseOptions);
        using var _ = trained;
        string zip = Path.Combine(_checkpoints, "base.zip");
        ModelFile.Save(ml, baseModel, ml.Data.LoadFromEnumerable(_threeClasses.Train).Schema, zip);
        var kept = trained.Network.named_parameters().Where(p => !p.name.StartsWith("dense.", StringComparison.Ordinal)).ToList();

        // Every epoch frozen: only the new head trains, everything before it stays the base network's.
        var frozen = Options(epochs: 1);
        frozen.FineTuneFrom = _checkpoints;
        frozen.FreezeEpochs = 1;
        var starts = new List<TrainingStart>();
        frozen.StartProgress = new ProgressHandler<TrainingStart>(starts.Add);
        using (var headOnly = Fit(ml, _fourClasses.Train, frozen).Network)
        {
            // The folder's latest checkpoint, with a new head: reported as data, not left to the log's wording.
            var start = Assert.Single(starts);
            Assert.Equal(CheckpointFolder.Resolve(_checkpoints), start.FineTunedFrom);
            Assert.True(start.NewClassifierHead);
            Assert.Null(start.ResumedFrom);
            Assert.Equal((1, 0L), (start.Epoch, start.BatchesDone));
            var tuned = headOnly.Network.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, parameter) in kept)
                Assert.True(Identical(parameter, tuned[name]), $"{name} changed while frozen");
            Assert.Equal(3, trained.Network.named_parameters().Single(p => p.name == "dense.weight").parameter.shape[0]);
            Assert.Equal(4, tuned["dense.weight"].shape[0]);  // a new head, for the four classes
        }

        // From the saved zip, one frozen epoch, then all the weights train: the four classes are learned on held-out images.
        var fineTune = Options(epochs: 6);
        fineTune.FineTuneFrom = zip;
        fineTune.FreezeEpochs = 1;
        starts.Clear();
        fineTune.StartProgress = new ProgressHandler<TrainingStart>(starts.Add);
        var (network, model) = Fit(ml, _fourClasses.Train, fineTune);
        Assert.Equal((zip, true), (Assert.Single(starts).FineTunedFrom, starts[0].NewClassifierHead));
        using (network)
        {
            var metrics = ml.MulticlassClassification.Evaluate(model.Transform(ml.Data.LoadFromEnumerable(_fourClasses.Test)));
            output.WriteLine($"held-out accuracy after fine-tuning: {metrics.MicroAccuracy:F3}");
            Assert.True(metrics.MicroAccuracy >= 0.8, $"held-out accuracy {metrics.MicroAccuracy:F3} on 4 classes after fine-tuning");
            var changed = network.Network.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            Assert.Contains(kept, p => !Identical(p.parameter, changed[p.name]));  // unfrozen after the first epoch
        }
    }

    [Fact]
    public void Fine_tuning_a_batch_normalised_zip_at_a_negligible_rate_scores_as_the_zip_did()
    {
        // The default preset (batch normalisation after every convolution), trained until its statistics matter, and
        // long enough that its last epochs' small learning rates leave running statistics close to those of its final
        // weights: after three epochs they could lag them (on one CPU's trajectory the zip scored 0.575 and a pass that
        // only refreshed them 0.775 of 40 images). A fine-tuning that reset them would score near chance (0.25).
        var ml = new MLContext(seed: 4);
        var options = new GoogLeNetTrainerOptions { Epochs = 6, BatchSize = 16, WidthDivisor = 8 };
        var (trained, model) = Fit(ml, _fourClasses.Train, options);
        string zip = Path.Combine(_checkpoints, "bn.zip");
        var test = ml.Data.LoadFromEnumerable(_fourClasses.Test);
        Microsoft.ML.Data.MulticlassClassificationMetrics before;
        using (trained)
        {
            ModelFile.Save(ml, model, ml.Data.LoadFromEnumerable(_fourClasses.Train).Schema, zip);
            var loaded = ModelFile.Load(new MLContext(), zip, out _);
            using var loadedChain = (IDisposable)loaded;  // the loaded chain deletes its temporary copy of the network when disposed
            before = ml.MulticlassClassification.Evaluate(loaded.Transform(test));
        }

        // One epoch from the zip at 1e-9: the weights cannot move, so only the running statistics may, and they start
        // from the zip's own.
        var fineTune = new GoogLeNetTrainerOptions { Epochs = 1, BatchSize = 16, WidthDivisor = 8, LearningRate = 1e-9, FineTuneFrom = zip };
        var (network, tuned) = Fit(ml, _fourClasses.Train, fineTune);
        using (network)
        {
            var after = ml.MulticlassClassification.Evaluate(tuned.Transform(test));
            output.WriteLine($"zip: accuracy {before.MicroAccuracy:F3}, log-loss {before.LogLoss:F3}; fine-tuned at 1e-9: {after.MicroAccuracy:F3}, {after.LogLoss:F3}");
            Assert.True(before.MicroAccuracy > 0.5, $"the zip scores {before.MicroAccuracy:F3}: too little learned for the comparison to mean anything");
            Assert.True(Math.Abs(after.MicroAccuracy - before.MicroAccuracy) <= 0.1,
                $"accuracy {before.MicroAccuracy:F3} from the zip, {after.MicroAccuracy:F3} after fine-tuning it at 1e-9");
            Assert.True(Math.Abs(after.LogLoss - before.LogLoss) <= 0.1 * before.LogLoss,
                $"log-loss {before.LogLoss:F3} from the zip, {after.LogLoss:F3} after fine-tuning it at 1e-9");
        }
    }

    private static bool Identical(Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        return x.shape.SequenceEqual(y.shape) && x.eq(y).all().item<bool>();
    }
}
