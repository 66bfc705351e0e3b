using System.Globalization;
using Spectre.Console;

namespace MLNet.GoogLeNet.Cli.Output;

/// <summary>
/// Shows how far scoring a test set has got, as <see cref="TrainingProgress"/> shows training: a live bar with the time
/// remaining on an interactive terminal, a line every tenth of the images otherwise. Safe to report from several
/// threads.
/// </summary>
internal sealed class EvaluationProgress(IAnsiConsole console, long images)
{
    private ProgressTask? _task;
    private long _done;
    private long _nextLine = Math.Max(1, images / 10);

    /// <summary>Runs <paramref name="work"/> with the live display (when the terminal can show one).</summary>
    public T Run<T>(Func<T> work) =>
        LiveProgress.Run(console, "scoring", images, task => _task = task, work);

    /// <summary>One more image scored.</summary>
    public void Scored()
    {
        long done = Interlocked.Increment(ref _done);
        if (_task is not null)
        {
            _task.Value = done;
            return;
        }
        // Only a line for every tenth, and only from the thread that crosses the mark.
        long next = Volatile.Read(ref _nextLine);
        if (images >= 10 && done >= next && done < images
            && Interlocked.CompareExchange(ref _nextLine, next + Math.Max(1, images / 10), next) == next)
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  scored {done:N0}/{images:N0} images"));
    }
}
