using System.Globalization;
using Spectre.Console;

namespace MLNet.GoogLeNet.Cli.Output;

/// <summary>
/// Shows training progress: a live bar with the time remaining on an interactive terminal, a line every tenth of an
/// epoch otherwise, and always the recipe's line after each epoch.
/// </summary>
internal sealed class TrainingProgress(IAnsiConsole console, int epochs, long? imagesPerEpoch) : IDisposable
{
    private ProgressTask? _task;
    private long? _imagesPerEpoch = imagesPerEpoch;
    private long _lastPrinted;

    /// <summary>Runs <paramref name="work"/> with the live display (when the terminal can show one).</summary>
    public T Run<T>(Func<T> work) =>
        LiveProgress.Run(console, "training", epochs * (_imagesPerEpoch ?? 1), task => _task = task, work);

    public void BatchDone(BatchProgress progress)
    {
        _imagesPerEpoch ??= progress.ImagesPerEpoch;
        long total = epochs * (_imagesPerEpoch ?? progress.ImagesDone);
        long done = (progress.Epoch - 1) * (_imagesPerEpoch ?? progress.ImagesDone) + progress.ImagesDone;
        string status = string.Create(CultureInfo.InvariantCulture,
            $"epoch {progress.Epoch}/{progress.Epochs} loss {progress.Loss:F4} acc {progress.TrainAccuracy:F3}");
        if (_task is not null)
        {
            _task.MaxValue = Math.Max(total, done);
            _task.Value = done;
            _task.Description = status;
            return;
        }
        if (_imagesPerEpoch is { } perEpoch && perEpoch >= 10 && progress.ImagesDone - _lastPrinted >= perEpoch / 10 && progress.ImagesDone < perEpoch)
        {
            _lastPrinted = progress.ImagesDone;
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {status}, {progress.ImagesDone}/{perEpoch} images"));
        }
    }

    public void EpochDone(EpochReport report)
    {
        _lastPrinted = 0;
        _imagesPerEpoch = report.Images;
        console.WriteLine(report.ToString());
    }

    public void Dispose() => _task?.StopTask();
}
