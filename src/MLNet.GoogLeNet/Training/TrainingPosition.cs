namespace MLNet.GoogLeNet.Training;

/// <summary>
/// Where training stands: the epoch and the batches of it already trained, the schedule's step count, and the running
/// sums of the epoch. The training loop keeps its position in this one record and a checkpoint stores the record as
/// it is, so that what a resumed run continues from is exactly what the interrupted run had, with no field left out
/// or copied into the wrong one.
/// </summary>
/// <param name="Epoch">The 1-based epoch the position is in.</param>
/// <param name="BatchesDone">Batches of <paramref name="Epoch"/> already trained.</param>
/// <param name="EpochComplete">Whether <paramref name="Epoch"/> is complete (its report and validation included):
/// training goes on with the next.</param>
/// <param name="Finished">Whether training has ended (its last epoch, or early stopping).</param>
/// <param name="Steps">Optimiser steps taken in all: the learning-rate schedule's position.</param>
/// <param name="ImagesPerEpoch">Training rows per epoch as the schedule counts them, null while unknown.</param>
/// <param name="LossSum">The epoch's sum of loss × images over its trained batches.</param>
/// <param name="Correct">The epoch's correctly classified training images so far.</param>
/// <param name="Images">The epoch's training images so far.</param>
/// <param name="Seconds">Training seconds of the epoch so far (for its report; a resumed epoch adds the time before
/// and after the interruption).</param>
internal sealed record TrainingPosition(int Epoch, long BatchesDone, bool EpochComplete, bool Finished, long Steps,
    long? ImagesPerEpoch, double LossSum, long Correct, long Images, double Seconds)
{
    /// <summary>The position of a run that has trained nothing yet.</summary>
    public static TrainingPosition Beginning(long? imagesPerEpoch) => new(1, 0, false, false, 0, imagesPerEpoch, 0, 0, 0, 0);

    /// <summary>
    /// The epoch training continues with from here: this one while it is unfinished, the next once it is complete,
    /// and one past <paramref name="epochs"/> (nothing to train) when training had ended.
    /// </summary>
    public int NextEpoch(int epochs) => Finished ? epochs + 1 : EpochComplete ? Epoch + 1 : Epoch;

    /// <summary>Batches of <see cref="NextEpoch"/> already trained: those a resumed run reads past.</summary>
    public long BatchesDoneOfNextEpoch => Finished || EpochComplete ? 0 : BatchesDone;

    /// <summary>
    /// The position to train <paramref name="epoch"/> from: this one when it is that epoch's, unfinished, else the
    /// epoch's start with the run's step count and epoch length.
    /// </summary>
    public TrainingPosition For(int epoch) => Epoch == epoch && !EpochComplete
        ? this
        : this with { Epoch = epoch, BatchesDone = 0, EpochComplete = false, Finished = false, LossSum = 0, Correct = 0, Images = 0, Seconds = 0 };

    /// <summary>The position after one more optimiser step on a batch of <paramref name="images"/>.</summary>
    /// <param name="loss">The batch's mean loss, in the precision the step computed it in.</param>
    /// <param name="correct">The batch's correctly classified images.</param>
    /// <param name="images">The batch's images.</param>
    public TrainingPosition AfterBatch(float loss, long correct, int images) => this with
    {
        BatchesDone = BatchesDone + 1,
        Steps = Steps + 1,
        // The product in float, the sum in double: the same arithmetic in every run, so a resumed epoch's sum is the
        // uninterrupted one's bit for bit.
        LossSum = LossSum + loss * images,
        Correct = Correct + correct,
        Images = Images + images,
    };
}
