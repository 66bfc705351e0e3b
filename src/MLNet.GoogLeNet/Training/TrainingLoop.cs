using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNet.GoogLeNet.Data;
using MLNet.GoogLeNet.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Training;

/// <summary>
/// Mini-batch training of a <see cref="GoogLeNetNetwork"/> as <see cref="GoogLeNetTrainerOptions"/> describe it (optimiser,
/// per-step learning-rate schedule, augmentation, label smoothing, clipping, early stopping), reading its batches
/// through <see cref="BatchReader"/> so that data preparation overlaps with compute. Every step runs inside a dispose
/// scope, so native memory does not grow from batch to batch or epoch to epoch.
/// </summary>
internal sealed class TrainingLoop
{
    private readonly GoogLeNetNetwork _network;
    private readonly Device _device;
    private readonly GoogLeNetTrainerOptions _options;
    private readonly MixedPrecision _precision;
    private readonly int _seed;
    private readonly long[] _imageShape;
    private readonly CheckpointPlan? _checkpoints;
    private readonly Checkpoint? _resume;

    /// <param name="network">The network, on <paramref name="device"/>.</param>
    /// <param name="device">Where training runs.</param>
    /// <param name="options">Validated options.</param>
    /// <param name="precision">The arithmetic the device supports of what the options ask for.</param>
    /// <param name="seed">The run's seed (shuffling and augmentation derive theirs from it).</param>
    /// <param name="checkpoints">Where and how often to write checkpoints, or null for none.</param>
    /// <param name="resume">A checkpoint of this same run to continue from (checked by the caller), or null.</param>
    public TrainingLoop(GoogLeNetNetwork network, Device device, GoogLeNetTrainerOptions options, MixedPrecision precision, int seed,
        CheckpointPlan? checkpoints = null, Checkpoint? resume = null)
    {
        _network = network;
        _device = device;
        _options = options;
        _precision = precision;
        _seed = seed;
        _checkpoints = checkpoints;
        _resume = resume;
        var c = network.Configuration;
        _imageShape = options.FreezeBackbone ? [network.FeatureLength] : [c.InputChannels, c.ImageHeight, c.ImageWidth];
    }

    /// <summary>
    /// What a batch goes through: the whole network, or with <see cref="GoogLeNetTrainerOptions.FreezeBackbone"/>, whose
    /// batches are the backbone's features (<see cref="BackboneFeatures"/>), the head alone.
    /// </summary>
    private Tensor Forward(Tensor batch) => _options.FreezeBackbone ? _network.Head(batch) : _network.call(batch);

    /// <summary>
    /// Trains for the options' epochs (fewer when early stopping ends the run) and returns one report per epoch (with a
    /// resumed run, the checkpoint's reports first). With early stopping, the network ends with the weights of the epoch
    /// with the best validation accuracy.
    /// </summary>
    /// <param name="epochData">The training data of the 1-based epoch, shuffled with the given seed.</param>
    /// <param name="trainSource">Columns of the training data.</param>
    /// <param name="validation">Data scored after each epoch, or null.</param>
    /// <param name="imagesPerEpoch">Rows per epoch if known in advance (for progress and the schedule's step count), else null.</param>
    /// <param name="onEpoch">Called after each epoch.</param>
    /// <param name="onBatch">Called after each batch, or null.</param>
    /// <param name="log">Informational messages.</param>
    /// <param name="cancellation">Checked between batches.</param>
    public IReadOnlyList<EpochReport> Run(
        Func<int, int, IDataView> epochData, BatchSource trainSource, IDataView? validation, long? imagesPerEpoch,
        Action<EpochReport> onEpoch, Action<BatchProgress>? onBatch, Action<string> log, CancellationToken cancellation)
    {
        // The layout changes the weight Parameter objects, so it comes before the optimiser is made. The network keeps
        // it afterwards: the fitted transformer scores in the layout it was trained in.
        _network.UseChannelsLast(ConvolutionLayout.ChannelsLastOn(_device, _options.ChannelsLast));
        _resume?.RestoreNetwork(_network);
        try
        {
            return RunEpochs(epochData, trainSource, validation, imagesPerEpoch, onEpoch, onBatch, log, cancellation);
        }
        finally
        {
            Freeze(false);
        }
    }

    private List<EpochReport> RunEpochs(
        Func<int, int, IDataView> epochData, BatchSource trainSource, IDataView? validation, long? imagesPerEpoch,
        Action<EpochReport> onEpoch, Action<BatchProgress>? onBatch, Action<string> log, CancellationToken cancellation)
    {
        int epochs = _options.Epochs, batchSize = _options.BatchSize;
        using var step = new TrainingStep(_network, _options, _device.type, _precision, headOnly: _options.FreezeBackbone);
        // The batches of a frozen backbone are features computed once from each image as it is (the trainer warns when
        // augmentation was asked for).
        var augmentation = _options.FreezeBackbone ? null : BatchAugmentation.For(_options, _seed);
        using var best = _options.EarlyStoppingPatience is null ? null : new BestWeights(_network);
        var reports = new List<EpochReport>();
        var position = TrainingPosition.Beginning(imagesPerEpoch);
        if (_resume is { Manifest: var resumed })
        {
            _resume.RestoreOptimizer(step.Optimizer);
            if (best is not null && resumed.BestEpoch is { } bestEpoch)
                best.Load(bestEpoch, resumed.BestAccuracy ?? double.NegativeInfinity, _resume, Checkpoint.BestPrefix);
            reports.AddRange(resumed.Reports);
            position = resumed.Position with { ImagesPerEpoch = resumed.Position.ImagesPerEpoch ?? imagesPerEpoch };
            // The augmentation draws image after image through the run: pass over the draws of every image trained so far.
            augmentation?.Skip(resumed.Reports.Sum(r => r.Images) + (position.EpochComplete ? 0 : position.Images), _imageShape[1], _imageShape[2]);
        }

        for (int epoch = position.NextEpoch(epochs); epoch <= epochs; epoch++)
        {
            // The trainer counts the rows of data of unknown size in advance; should it not, the schedule takes one batch
            // an epoch until the first epoch has counted them.
            long totalSteps = epochs * (((position.ImagesPerEpoch ?? 1) + batchSize - 1) / batchSize);
            double rate = 0;
            Freeze(epoch <= _options.FreezeEpochs);
            // A frozen backbone stays in scoring mode: its batch-normalisation statistics never move.
            _network.train(!_options.FreezeBackbone);
            position = position.For(epoch);
            long toSkip = position.BatchesDone, skipped;
            double secondsBefore = position.Seconds;
            var clock = Stopwatch.StartNew();
            using (var reader = new BatchReader(epochData(epoch, RandomStreams.ShuffleSeed(_seed, epoch)),
                       trainSource, batchSize, _options.PrefetchBatches, cancellation))
            {
                while (reader.Next() is { } batch)
                {
                    cancellation.ThrowIfCancellationRequested();
                    if (toSkip > 0)
                    {
                        // Trained before the checkpoint: read past in the same order, so the rest of the epoch is the same.
                        toSkip--;
                        reader.Recycle(batch);
                        continue;
                    }
                    rate = LearningRates.ForStep(_options.LearningRateSchedule, _options.LearningRate, _options.WarmupFraction,
                        position.Steps, totalSteps, epoch, _options.StepDecayEpochs, _options.StepDecayFactor);
                    step.SetLearningRate(rate);
                    _network.ReseedDropout(RandomStreams.DropoutSeed(_seed, position.Steps), _device);
                    var (loss, batchCorrect) = Step(step, augmentation, batch);
                    if (!float.IsFinite(loss))
                        throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                            $"Training diverged: the loss became {loss} in epoch {epoch} after {position.Images} images. " +
                            $"Lower the learning rate (now {rate:G4}), for example to {rate / 10:G4}, and check the features for extreme values."));
                    position = position.AfterBatch(loss, batchCorrect, batch.Count);
                    reader.Recycle(batch);
                    onBatch?.Invoke(new BatchProgress(epoch, epochs, position.Images, position.ImagesPerEpoch,
                        position.LossSum / position.Images, (double)position.Correct / position.Images));
                    if (_checkpoints is { EveryBatches: > 0 } plan && position.BatchesDone % plan.EveryBatches == 0)
                        WriteCheckpoint(plan, step, best, log, position with { Seconds = secondsBefore + clock.Elapsed.TotalSeconds }, reports);
                }
                skipped = reader.RowsSkipped;
            }
            clock.Stop();

            if (position.Images == 0)
                throw new InvalidOperationException(skipped > 0
                    ? $"The training data has no usable rows: all {skipped} rows have a missing label (key value 0)."
                    : "The training data is empty: it has no rows.");
            if (epoch == 1 && skipped > 0)
                log(string.Create(CultureInfo.InvariantCulture, $"Skipped {skipped} rows with a missing label."));
            position = position with { ImagesPerEpoch = position.Images, Seconds = secondsBefore + clock.Elapsed.TotalSeconds };

            double? validationAccuracy = validation is null ? null : Accuracy(validation, trainSource, cancellation);
            var report = new EpochReport(epoch, epochs, position.LossSum / position.Images, (double)position.Correct / position.Images,
                validationAccuracy, rate, position.Seconds, position.Images);
            reports.Add(report);
            onEpoch(report);

            bool stop = false;
            if (best is not null && validationAccuracy is { } accuracy)
            {
                best.Offer(epoch, accuracy);
                if (epoch - best.Epoch >= _options.EarlyStoppingPatience && epoch < epochs)
                {
                    log(string.Create(CultureInfo.InvariantCulture,
                        $"Early stopping after epoch {epoch}: the validation accuracy has not improved on epoch {best.Epoch}'s {best.Accuracy:F3} for {epoch - best.Epoch} epoch(s)."));
                    stop = true;
                }
            }
            position = position with { EpochComplete = true, Finished = stop || epoch == epochs };
            if (_checkpoints is { } epochPlan)
                WriteCheckpoint(epochPlan, step, best, log, position, reports);
            if (stop)
                break;
        }
        if (reports.Count == 0)
            throw new InvalidOperationException("Nothing was trained: the checkpoint resumed from records no epochs.");
        if (best is not null && best.Epoch != 0 && best.Epoch != reports[^1].Epoch)
        {
            best.Restore();
            log(string.Create(CultureInfo.InvariantCulture,
                $"Restored the weights of epoch {best.Epoch}, the best validation accuracy ({best.Accuracy:F3}; the last epoch's was {reports[^1].ValidationAccuracy:F3})."));
        }
        _network.eval();
        return reports;
    }

    private void WriteCheckpoint(CheckpointPlan plan, TrainingStep step, BestWeights? best, Action<string> log,
        TrainingPosition position, List<EpochReport> reports)
    {
        var optimizerSteps = new List<long>();
        var tensors = Checkpoint.NetworkTensors(_network)
            .Concat(Checkpoint.OptimizerTensors(step.Optimizer, optimizerSteps))
            .Concat(best?.Tensors(Checkpoint.BestPrefix) ?? [])
            .ToList();
        var manifest = new CheckpointManifest
        {
            Position = position,
            Reports = [.. reports],
            BestEpoch = best is { Epoch: > 0 } ? best.Epoch : null,
            BestAccuracy = best is { Epoch: > 0 } ? best.Accuracy : null,
            OptimizerSteps = optimizerSteps,
            Network = _network.Configuration,
            Classes = [.. plan.Classes],
            Options = plan.Settings,
            Data = plan.Data,
        };
        string path = plan.Folder.Write(manifest, tensors);
        log($"Checkpoint written: {path}");
    }

    /// <summary>
    /// Freezes (or unfreezes) every parameter but the classifier head's: frozen parameters get no gradients, so the
    /// optimiser leaves them as they are.
    /// </summary>
    private void Freeze(bool frozen)
    {
        foreach (var (name, parameter) in _network.named_parameters())
        {
            if (!_network.IsHead(name))
                parameter.requires_grad = !frozen;
        }
    }

    private (float Loss, long Correct) Step(TrainingStep step, BatchAugmentation? augmentation, FeatureBatch batch)
    {
        using var scope = NewDisposeScope();
        var input = DeviceTransfer.ToDevice(batch.FeatureTensor(_imageShape), _device);
        var target = DeviceTransfer.ToDevice(batch.LabelTensor(), _device);
        if (augmentation is not null)
            input = augmentation.Apply(input);
        return step.Run(input, target);
    }

    /// <summary>Fraction of <paramref name="data"/>'s labelled rows that the network classifies correctly.</summary>
    public double Accuracy(IDataView data, BatchSource source, CancellationToken cancellation)
    {
        _network.eval();
        long correct = 0, images = 0;
        using var noGrad = no_grad();
        using (var reader = new BatchReader(data, source with { RequireFiniteFeatures = false }, _options.BatchSize, _options.PrefetchBatches, cancellation))
        {
            while (reader.Next() is { } batch)
            {
                using (var scope = NewDisposeScope())
                {
                    var features = DeviceTransfer.ToDevice(batch.FeatureTensor(_imageShape), _device);
                    // Scored as the fitted model will score (with FreezeBackbone, whose batches are features, Validate
                    // allows no test-time augmentation).
                    var scores = Scoring.TestTimeScoring.Probabilities(Forward, features, _options.TestTimeAugmentation);
                    correct += scores.argmax(1).eq(DeviceTransfer.ToDevice(batch.LabelTensor(), _device)).sum().item<long>();
                }
                images += batch.Count;
                reader.Recycle(batch);
            }
        }
        if (images == 0)
            throw new InvalidOperationException("The validation set has no rows with a label.");
        return (double)correct / images;
    }
}
