using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNet.GoogLeNet.Data;
using MLNet.GoogLeNet.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Training;

/// <summary>The optimisation settings of one training run.</summary>
internal sealed record TrainingPlan(
    int Epochs, int BatchSize, OptimizerKind Optimizer, double LearningRate, double Momentum, double WeightDecay,
    LearningRateSchedule Schedule, int StepDecayEpochs, double StepDecayFactor, int PrefetchBatches,
    bool ChannelsLast = false, MixedPrecision Precision = MixedPrecision.None);

/// <summary>
/// Mini-batch training (SGD or Adam) of a <see cref="GoogLeNetNetwork"/> with cross-entropy loss, reading its batches through
/// <see cref="BatchReader"/> so that data preparation overlaps with compute. Every step runs inside a dispose
/// scope, so native memory does not grow from batch to batch or epoch to epoch.
/// </summary>
internal sealed class TrainingLoop
{
    private readonly GoogLeNetNetwork _network;
    private readonly Device _device;
    private readonly TrainingPlan _plan;
    private readonly long[] _imageShape;

    public TrainingLoop(GoogLeNetNetwork network, Device device, TrainingPlan plan)
    {
        _network = network;
        _device = device;
        _plan = plan;
        var c = network.Configuration;
        _imageShape = [c.InputChannels, c.ImageHeight, c.ImageWidth];
    }

    /// <summary>Trains for the plan's epochs and returns one report per epoch.</summary>
    /// <param name="epochData">The (shuffled) training data of the 1-based epoch.</param>
    /// <param name="trainSource">Columns of the training data.</param>
    /// <param name="validation">Data scored after each epoch, or null.</param>
    /// <param name="imagesPerEpoch">Rows per epoch if known in advance (for progress), else null.</param>
    /// <param name="onEpoch">Called after each epoch.</param>
    /// <param name="onBatch">Called after each batch, or null.</param>
    /// <param name="log">Informational messages.</param>
    /// <param name="cancellation">Checked between batches.</param>
    public IReadOnlyList<EpochReport> Run(
        Func<int, IDataView> epochData, BatchSource trainSource, IDataView? validation, long? imagesPerEpoch,
        Action<EpochReport> onEpoch, Action<BatchProgress>? onBatch, Action<string> log, CancellationToken cancellation)
    {
        // The layout changes the weight Parameter objects, so it comes before the optimiser is made; the weights go
        // back to the standard layout however training ends.
        _network.UseChannelsLast(_plan.ChannelsLast);
        try
        {
            return RunEpochs(epochData, trainSource, validation, imagesPerEpoch, onEpoch, onBatch, log, cancellation);
        }
        finally
        {
            _network.UseChannelsLast(false);
        }
    }

    private List<EpochReport> RunEpochs(
        Func<int, IDataView> epochData, BatchSource trainSource, IDataView? validation, long? imagesPerEpoch,
        Action<EpochReport> onEpoch, Action<BatchProgress>? onBatch, Action<string> log, CancellationToken cancellation)
    {
        var reports = new List<EpochReport>();
        using optim.Optimizer optimizer = _plan.Optimizer == OptimizerKind.Adam
            ? optim.Adam(_network.parameters(), _plan.LearningRate, weight_decay: _plan.WeightDecay)
            : optim.SGD(_network.parameters(), _plan.LearningRate, momentum: _plan.Momentum, weight_decay: _plan.WeightDecay);
        for (int epoch = 1; epoch <= _plan.Epochs; epoch++)
        {
            double rate = LearningRates.ForEpoch(
                _plan.Schedule, _plan.LearningRate, epoch, _plan.Epochs, _plan.StepDecayEpochs, _plan.StepDecayFactor);
            foreach (var group in optimizer.ParamGroups)
                group.LearningRate = rate;

            _network.train();
            var clock = Stopwatch.StartNew();
            double lossSum = 0;
            long correct = 0, images = 0, skipped;
            using (var reader = new BatchReader(epochData(epoch), trainSource, _plan.BatchSize, _plan.PrefetchBatches, cancellation))
            {
                while (reader.Next() is { } batch)
                {
                    cancellation.ThrowIfCancellationRequested();
                    var (loss, batchCorrect) = Step(optimizer, batch, epoch, images, rate);
                    lossSum += loss * batch.Count;
                    correct += batchCorrect;
                    images += batch.Count;
                    reader.Recycle(batch);
                    onBatch?.Invoke(new BatchProgress(epoch, _plan.Epochs, images, imagesPerEpoch, lossSum / images, (double)correct / images));
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
            var report = new EpochReport(epoch, _plan.Epochs, lossSum / images, (double)correct / images,
                validationAccuracy, rate, clock.Elapsed.TotalSeconds, images);
            reports.Add(report);
            onEpoch(report);
        }
        _network.eval();
        return reports;
    }

    /// <summary>Fraction of <paramref name="data"/>'s labelled rows that the network classifies correctly.</summary>
    public double Accuracy(IDataView data, BatchSource source, CancellationToken cancellation)
    {
        _network.eval();
        long correct = 0, images = 0;
        using var noGrad = no_grad();
        using (var reader = new BatchReader(data, source with { RequireFiniteFeatures = false }, _plan.BatchSize, _plan.PrefetchBatches, cancellation))
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

    private (double Loss, long Correct) Step(optim.Optimizer optimizer, FeatureBatch batch, int epoch, long imagesBefore, double rate)
    {
        using var scope = NewDisposeScope();
        var input = DeviceTransfer.ToDevice(batch.FeatureTensor(_imageShape), _device);
        var target = DeviceTransfer.ToDevice(batch.LabelTensor(), _device);
        optimizer.zero_grad();
        Tensor logits, loss;
        using (AutocastRegion.Enter(_device.type, _plan.Precision))
        {
            logits = _network.call(input);
            loss = nn.functional.cross_entropy(logits, target);  // autocast computes the loss in fp32
        }
        float value = loss.item<float>();
        if (!float.IsFinite(value))
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"Training diverged: the loss became {value} in epoch {epoch} after {imagesBefore} images. " +
                $"Lower the learning rate (now {rate:G4}), for example to {rate / 10:G4}, and check the features for extreme values."));
        loss.backward();
        optimizer.step();
        long correct = logits.argmax(1).eq(target).sum().item<long>();
        return (value, correct);
    }
}
