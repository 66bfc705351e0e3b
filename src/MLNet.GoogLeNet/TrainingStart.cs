using System.Globalization;
using MLNet.GoogLeNet.Training;

namespace MLNet.GoogLeNet;

/// <summary>
/// What a training run starts from: the network's initial weights, the trained weights of
/// <see cref="GoogLeNetTrainerOptions.FineTuneFrom"/>, or a checkpoint of <see cref="GoogLeNetTrainerOptions.ResumeFrom"/>
/// and the point in it where training goes on. <c>Fit</c> reports it once, before the first batch, through
/// <see cref="GoogLeNetTrainerOptions.StartProgress"/>, so that an application can show its user what the trainer
/// actually does with those options (which checkpoint of a folder it took, whether the classifier head is new) without
/// reading the log; <see cref="ToString"/> is the sentence the trainer writes to the MLContext's log.
/// </summary>
public sealed class TrainingStart
{
    private readonly string _description;

    private TrainingStart(string? resumedFrom, string? fineTunedFrom, bool newClassifierHead, int epoch, long batchesDone,
        bool finished, string description)
    {
        ResumedFrom = resumedFrom;
        FineTunedFrom = fineTunedFrom;
        NewClassifierHead = newClassifierHead;
        Epoch = epoch;
        BatchesDone = batchesDone;
        Finished = finished;
        _description = description;
    }

    /// <summary>The checkpoint file the run resumes from (the latest of the folder when a folder was named), or null.</summary>
    public string? ResumedFrom { get; }

    /// <summary>
    /// The file whose weights the run starts from instead of initial ones (for a folder of checkpoints, its latest), or
    /// null. Null whenever <see cref="ResumedFrom"/> is set: a resume takes precedence over fine-tuning.
    /// </summary>
    public string? FineTunedFrom { get; }

    /// <summary>
    /// With <see cref="FineTunedFrom"/>: whether the classifier head starts anew, because the source was trained on
    /// other classes; the weights before it are the source's. False otherwise.
    /// </summary>
    public bool NewClassifierHead { get; }

    /// <summary>
    /// The 1-based epoch training begins with: 1, or for a resumed run the epoch the checkpoint was in (the next one
    /// when it was written at an epoch's end). One past the run's epochs when <see cref="Finished"/>.
    /// </summary>
    public int Epoch { get; }

    /// <summary>
    /// Batches of <see cref="Epoch"/> the checkpoint had trained: the resumed run reads past them and trains the rest
    /// of the epoch. 0 when the run starts at the epoch's beginning.
    /// </summary>
    public long BatchesDone { get; }

    /// <summary>
    /// Whether the checkpoint resumed from is of a run that had ended (its last epoch, or early stopping): <c>Fit</c>
    /// trains nothing and returns the checkpoint's network.
    /// </summary>
    public bool Finished { get; }

    /// <summary>
    /// The start in a sentence, as the trainer logs it: "Resuming from …/checkpoint-e0002-b000006.ckpt: epoch 2,
    /// after its first 6 batches."
    /// </summary>
    public override string ToString() => _description;

    /// <summary>The same start, with <paramref name="note"/> added to its sentence: "…; the auxiliary classifiers start from initial weights."</summary>
    internal TrainingStart With(string note) =>
        new(ResumedFrom, FineTunedFrom, NewClassifierHead, Epoch, BatchesDone, Finished, $"{_description.TrimEnd('.')}; {note}.");

    /// <summary>A run from the network's initial weights.</summary>
    internal static TrainingStart Fresh(WeightInitialization initialization) =>
        new(null, null, false, 1, 0, false, $"Training from the network's initial weights ({initialization} initialisation).");

    /// <summary>A run resumed from <paramref name="checkpoint"/>, where it stood at <paramref name="position"/>.</summary>
    /// <param name="checkpoint">The checkpoint file.</param>
    /// <param name="position">The checkpoint's position.</param>
    /// <param name="epochs">The run's epochs.</param>
    internal static TrainingStart Resuming(string checkpoint, TrainingPosition position, int epochs)
    {
        int epoch = position.NextEpoch(epochs);
        long batchesDone = position.BatchesDoneOfNextEpoch;
        string description = position.Finished
            ? $"Checkpoint {checkpoint} is of a finished run: nothing left to train."
            : string.Create(CultureInfo.InvariantCulture, $"Resuming from {checkpoint}: epoch {epoch}, after its first {batchesDone} batches.");
        return new TrainingStart(checkpoint, null, false, epoch, batchesDone, position.Finished, description);
    }

    /// <summary>A run from every weight of <paramref name="path"/>, classifier head included.</summary>
    internal static TrainingStart FineTuning(string path) =>
        new(null, path, false, 1, 0, false, $"Fine-tuning all the weights of {path}.");

    /// <summary>A run from the weights of <paramref name="path"/> before its classifier head, with a new head.</summary>
    /// <param name="path">The file the weights come from.</param>
    /// <param name="classCount">The classes of the new head.</param>
    /// <param name="source">What the file is, as the sentence names it: "the checkpoint", "the model".</param>
    /// <param name="sourceClasses">The classes the file's head was trained on.</param>
    internal static TrainingStart FineTuningWithNewHead(string path, int classCount, string source, IReadOnlyList<string> sourceClasses) =>
        new(null, path, true, 1, 0, false, string.Create(CultureInfo.InvariantCulture,
            $"Fine-tuning the weights of {path} with a new classifier head for {classCount} classes ({source}'s: {string.Join(", ", sourceClasses)})."));

    /// <summary>
    /// A run from the weights of a state-dict file, which carries no class names: all of them, or with a new
    /// classifier head when the file's has another number of outputs.
    /// </summary>
    /// <param name="path">The file the weights come from.</param>
    /// <param name="newHead">Whether the head starts anew.</param>
    /// <param name="classCount">The classes of the network.</param>
    /// <param name="fileClassCount">The outputs of the file's head.</param>
    /// <param name="leftOut">What of the file was left out, in words, or null.</param>
    internal static TrainingStart FineTuningFromWeightsFile(string path, bool newHead, int classCount, long fileClassCount, string? leftOut) =>
        new(null, path, newHead, 1, 0, false, string.Create(CultureInfo.InvariantCulture,
            $"{(newHead ? $"Fine-tuning the weights of {path} with a new classifier head for {classCount} classes (the file's head has {fileClassCount} outputs)" : $"Fine-tuning all the weights of {path}")}" +
            $"{(leftOut is null ? "" : $"; {leftOut}")}."));
}
