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

    /// <param name="network">The network, on <paramref name="device"/>.</param>
    /// <param name="device">Where training runs.</param>
    /// <param name="options">Validated options.</param>
    /// <param name="precision">The arithmetic the device supports of what the options ask for.</param>
    /// <param name="seed">The run's seed (the augmentation's generator starts from it).</param>
    public TrainingLoop(GoogLeNetNetwork network, Device device, GoogLeNetTrainerOptions options, MixedPrecision precision, int seed)
    {
        _network = network;
        _device = device;
        _options = options;
        _precision = precision;
        _seed = seed;
        var c = network.Configuration;
        _imageShape = [c.InputChannels, c.ImageHeight, c.ImageWidth];
    }

    /// <summary>
    /// Trains for the options' epochs (fewer when early stopping ends the run) and returns one report per epoch. With
    /// early stopping, the network ends with the weights of the epoch with the best validation accuracy.
    /// </summary>
    /// <param name="epochData">The (shuffled) training data of the 1-based epoch.</param>
    /// <param name="trainSource">Columns of the training data.</param>
    /// <param name="validation">Data scored after each epoch, or null.</param>
    /// <param name="imagesPerEpoch">Rows per epoch if known in advance (for progress and the schedule's step count), else null.</param>
    /// <param name="onEpoch">Called after each epoch.</param>
    /// <param name="onBatch">Called after each batch, or null.</param>
    /// <param name="log">Informational messages.</param>
    /// <param name="cancellation">Checked between batches.</param>
    public IReadOnlyList<EpochReport> Run(
        Func<int, IDataView> epochData, BatchSource trainSource, IDataView? validation, long? imagesPerEpoch,
        Action<EpochReport> onEpoch, Action<BatchProgress>? onBatch, Action<string> log, CancellationToken cancellation)
    {
        // The layout changes the weight Parameter objects, so it comes before the optimiser is made. The network keeps
        // it afterwards: the fitted transformer scores in the layout it was trained in.
        _network.UseChannelsLast(_options.ChannelsLast);
        return RunEpochs(epochData, trainSource, validation, imagesPerEpoch, onEpoch, onBatch, log, cancellation);
    }

    private List<EpochReport> RunEpochs(
        Func<int, IDataView> epochData, BatchSource trainSource, IDataView? validation, long? imagesPerEpoch,
        Action<EpochReport> onEpoch, Action<BatchProgress>? onBatch, Action<string> log, CancellationToken cancellation)
    {
        var reports = new List<EpochReport>();
        int epochs = _options.Epochs, batchSize = _options.BatchSize;
        using var step = new TrainingStep(_network, _options, _device.type, _precision);
        var augmentation = BatchAugmentation.For(_options, _seed);
        using var best = _options.EarlyStoppingPatience is null ? null : new BestWeights(_network);
        long steps = 0;
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            // The trainer counts the rows of data of unknown size in advance; should it not, the schedule takes one batch
            // an epoch until the first epoch has counted them.
            long totalSteps = epochs * (((imagesPerEpoch ?? 1) + batchSize - 1) / batchSize);
            double rate = 0;
            _network.train();
            var clock = Stopwatch.StartNew();
            double lossSum = 0;
            long correct = 0, images = 0, skipped;
            using (var reader = new BatchReader(epochData(epoch), trainSource, batchSize, _options.PrefetchBatches, cancellation))
            {
                while (reader.Next() is { } batch)
                {
                    cancellation.ThrowIfCancellationRequested();
                    rate = LearningRates.ForStep(_options.LearningRateSchedule, _options.LearningRate, _options.WarmupFraction,
                        steps, totalSteps, epoch, _options.StepDecayEpochs, _options.StepDecayFactor);
                    step.SetLearningRate(rate);
                    var (loss, batchCorrect) = Step(step, augmentation, batch);
                    if (!float.IsFinite(loss))
                        throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                            $"Training diverged: the loss became {loss} in epoch {epoch} after {images} images. " +
                            $"Lower the learning rate (now {rate:G4}), for example to {rate / 10:G4}, and check the features for extreme values."));
                    steps++;
                    lossSum += loss * batch.Count;
                    correct += batchCorrect;
                    images += batch.Count;
                    reader.Recycle(batch);
                    onBatch?.Invoke(new BatchProgress(epoch, epochs, images, imagesPerEpoch, lossSum / images, (double)correct / images));
                }
                skipped = reader.RowsSkipped;
            }
            clock.Stop();

            if (images == 0)
                throw new InvalidOperationException(skipped > 0
                    ? $"The training data has no usable rows: all {skipped} rows have a missing label (key value 0)."
                    : "The training data is empty: it has no rows.");
            if (epoch == 1 && skipped > 0)
                log(string.Create(CultureInfo.InvariantCulture, $"Skipped {skipped} rows with a missing label."));
            imagesPerEpoch = images;

            double? validationAccuracy = validation is null ? null : Accuracy(validation, trainSource, cancellation);
            var report = new EpochReport(epoch, epochs, lossSum / images, (double)correct / images,
                validationAccuracy, rate, clock.Elapsed.TotalSeconds, images);
            reports.Add(report);
            onEpoch(report);

            if (best is not null && validationAccuracy is { } accuracy)
            {
                best.Offer(epoch, accuracy);
                if (epoch - best.Epoch >= _options.EarlyStoppingPatience && epoch < epochs)
                {
                    log(string.Create(CultureInfo.InvariantCulture,
                        $"Early stopping after epoch {epoch}: the validation accuracy has not improved on epoch {best.Epoch}'s {best.Accuracy:F3} for {epoch - best.Epoch} epoch(s)."));
                    break;
                }
            }
        }
        if (best is not null && best.Epoch != reports[^1].Epoch)
        {
            best.Restore();
            log(string.Create(CultureInfo.InvariantCulture,
                $"Restored the weights of epoch {best.Epoch}, the best validation accuracy ({best.Accuracy:F3}; the last epoch's was {reports[^1].ValidationAccuracy:F3})."));
        }
        _network.eval();
        return reports;
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
                    var logits = _network.call(DeviceTransfer.ToDevice(batch.FeatureTensor(_imageShape), _device));
                    correct += logits.argmax(1).eq(DeviceTransfer.ToDevice(batch.LabelTensor(), _device)).sum().item<long>();
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
