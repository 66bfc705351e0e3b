using System.Globalization;

namespace MLNet.GoogLeNet;

/// <summary>What one epoch of training achieved, in the fields the recipe prints.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Epochs">Number of epochs of the run.</param>
/// <param name="Loss">Mean cross-entropy loss over the epoch's training images.</param>
/// <param name="TrainAccuracy">Fraction of the epoch's training images classified correctly while training.</param>
/// <param name="ValidationAccuracy">Accuracy on the validation set after the epoch; null without a validation set.</param>
/// <param name="LearningRate">Learning rate used in the epoch.</param>
/// <param name="Seconds">Wall-clock seconds of the epoch's training (validation excluded).</param>
/// <param name="Images">Training images seen in the epoch.</param>
public sealed record EpochReport(
    int Epoch, int Epochs, double Loss, double TrainAccuracy, double? ValidationAccuracy,
    double LearningRate, double Seconds, long Images)
{
    /// <summary>Training throughput of the epoch, images per second.</summary>
    public double ImagesPerSecond => Seconds > 0 ? Images / Seconds : 0;

    /// <summary>
    /// The recipe's line, followed by the learning rate and throughput:
    /// "epoch 1, loss 1.7636, train acc 0.354, test acc 0.738, time 69.7 sec, lr 0.1, 862.3 img/s".
    /// </summary>
    public override string ToString()
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"epoch {Epoch}, loss {Loss:F4}, train acc {TrainAccuracy:F3}");
        if (ValidationAccuracy is { } validation)
            line += string.Create(CultureInfo.InvariantCulture, $", test acc {validation:F3}");
        return line + string.Create(CultureInfo.InvariantCulture,
            $", time {Seconds:F1} sec, lr {LearningRate:G4}, {ImagesPerSecond:F1} img/s");
    }
}

/// <summary>Progress inside an epoch, reported after every batch (for progress bars).</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Epochs">Number of epochs of the run.</param>
/// <param name="ImagesDone">Training images processed so far in this epoch.</param>
/// <param name="ImagesPerEpoch">Training images per epoch, when known (after the first epoch, or when the data view knows its row count).</param>
/// <param name="Loss">Mean loss so far in this epoch.</param>
/// <param name="TrainAccuracy">Training accuracy so far in this epoch.</param>
public sealed record BatchProgress(int Epoch, int Epochs, long ImagesDone, long? ImagesPerEpoch, double Loss, double TrainAccuracy);
