using System.Diagnostics;
using System.Text.Json;

namespace MLNet.GoogLeNet.Bench;

/// <summary>
/// Runs one phase of the benchmark in a child process (<c>--phase NAME</c>), so that its peak memory is its own, and
/// reads the figures it prints on its <c>RESULT {json}</c> line. A phase that fails is reported, not thrown: the run
/// goes on to the other phases and still prints its table, with "—" for the figures that phase owed.
/// </summary>
internal static class PhaseProcess
{
    /// <summary>The figures of one phase, or why it gave none.</summary>
    public sealed record Outcome(string Phase, IReadOnlyList<Measurement> Measurements, string? Failure);

    public static Outcome Run(string phase, BenchOptions options)
    {
        // The child's standard error is this process's: its progress and, if it fails, its exception show as they happen.
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true };
        start.ArgumentList.Add(typeof(BenchOptions).Assembly.Location);
        foreach (var argument in options.ForPhase(phase))
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)
            ?? throw new InvalidOperationException("Could not start 'dotnet' for a phase of the benchmark: is the .NET SDK on the PATH?");
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        if (process.ExitCode != 0 || line is null)
        {
            string printed = string.Join('\n', output.Trim().Split('\n').TakeLast(20));
            return new Outcome(phase, [], $"exit code {process.ExitCode}, no figures; its error is printed above" +
                (printed.Length > 0 ? $", its last output:\n{printed}" : "."));
        }
        return new Outcome(phase, JsonSerializer.Deserialize<List<Measurement>>(line["RESULT ".Length..])!, null);
    }
}
