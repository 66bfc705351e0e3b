using System.Text.RegularExpressions;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.GoogLeNet.Cli.Infrastructure;

/// <summary>Turns exceptions into one readable error line and an exit code; no stack trace for expected problems.</summary>
internal static partial class ErrorReporter
{
    /// <param name="console">Where the error goes.</param>
    /// <param name="exception">What went wrong.</param>
    /// <param name="args">The command line, to name the option whose value could not be read.</param>
    public static int Report(IAnsiConsole console, Exception exception, IReadOnlyList<string> args)
    {
        switch (exception)
        {
            case CommandAppException usage:
                console.MarkupLine($"[red]error:[/] {Markup.Escape(DescribeUsage(usage, args))}");
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

    /// <summary>
    /// Spectre's message, except for a value it could not convert, where it names neither the option nor what the
    /// option takes ("Failed to convert 'abc' to Nullable`1."): the option is the argument before the value (or the
    /// one that carries it after '=' or ':'), and every typed option of this command line is a number.
    /// </summary>
    private static string DescribeUsage(CommandAppException usage, IReadOnlyList<string> args)
    {
        var conversion = FailedConversion().Match(usage.Message);
        if (!conversion.Success)
            return usage.Message;
        string value = conversion.Groups["value"].Value;
        string command = args.Count > 0 && !args[0].StartsWith('-') ? args[0] : "";
        for (int i = 0; i < args.Count; i++)
        {
            string? option = args[i] == value && i > 0 && args[i - 1].StartsWith('-') ? args[i - 1]
                : args[i].StartsWith('-') && (args[i].EndsWith("=" + value, StringComparison.Ordinal) || args[i].EndsWith(":" + value, StringComparison.Ordinal))
                    ? args[i][..^(value.Length + 1)]
                    : null;
            if (option is not null)
                return $"{option} takes a number, not '{value}' (googlenet {command} --help lists every option)".Replace("  ", " ", StringComparison.Ordinal);
        }
        return $"'{value}' is not a number, and an option here takes one (googlenet {command} --help lists every option)".Replace("  ", " ", StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^Failed to convert '(?<value>.*)' to ")]
    private static partial Regex FailedConversion();

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
