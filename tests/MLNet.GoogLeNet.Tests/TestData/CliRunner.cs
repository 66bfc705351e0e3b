using MLNet.GoogLeNet.Cli;
using Spectre.Console;

namespace MLNet.GoogLeNet.Tests.TestData;

/// <summary>Runs one googlenet command line in this process and captures what it prints, without colours or wrapping.</summary>
internal static class CliRunner
{
    public static (int ExitCode, string Output) Run(params string[] args)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 1000;
        int exit = CliApplication.Run(args, console);
        return (exit, writer.ToString());
    }
}
