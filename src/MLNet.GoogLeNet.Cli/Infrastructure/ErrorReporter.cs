using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.GoogLeNet.Cli.Infrastructure;

/// <summary>Turns exceptions into one readable error line and an exit code; no stack trace for expected problems.</summary>
internal static class ErrorReporter
{
    public static int Report(IAnsiConsole console, Exception exception)
    {
        switch (exception)
        {
            case CommandAppException usage:
                console.MarkupLine($"[red]error:[/] {Markup.Escape(usage.Message)}");
                return 2;
            case FileNotFoundException or DirectoryNotFoundException or InvalidDataException or ArgumentException
                or InvalidOperationException or NotSupportedException or IOException or UnauthorizedAccessException:
                console.MarkupLine($"[red]error:[/] {Markup.Escape(Describe(exception))}");
                return 1;
            case OperationCanceledException:
                console.MarkupLine("[yellow]cancelled[/]");
                return 1;
            default:
                console.MarkupLine("[red]unexpected error:[/]");
                console.WriteException(exception);
                return 1;
        }
    }

    /// <summary>The message, followed by the messages of the inner exceptions that add something.</summary>
    private static string Describe(Exception exception)
    {
        var messages = new List<string>();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (messages.Count == 0 || !messages[^1].Contains(e.Message, StringComparison.Ordinal))
                messages.Add(e.Message);
        }
        return string.Join(" ← ", messages);
    }
}
