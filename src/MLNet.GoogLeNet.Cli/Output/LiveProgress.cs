using Spectre.Console;

namespace MLNet.GoogLeNet.Cli.Output;

/// <summary>The live progress bar train and evaluate show on an interactive terminal: its columns, one task, filled at the end.</summary>
internal static class LiveProgress
{
    /// <summary>
    /// Runs <paramref name="work"/>; on an interactive terminal under a live bar named <paramref name="description"/> of
    /// <paramref name="maxValue"/> steps, whose task <paramref name="started"/> receives before the work begins (to
    /// report progress on), and which is shown full when the work ends. Elsewhere the work runs with no bar.
    /// </summary>
    public static T Run<T>(IAnsiConsole console, string description, double maxValue, Action<ProgressTask> started, Func<T> work)
    {
        if (!console.Profile.Capabilities.Interactive)
            return work();
        T result = default!;
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                var task = context.AddTask(description, maxValue: Math.Max(1, maxValue));
                started(task);
                result = work();
                task.Value = task.MaxValue;
            });
        return result;
    }
}
