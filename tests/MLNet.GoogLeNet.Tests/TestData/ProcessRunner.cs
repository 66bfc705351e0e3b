using System.Diagnostics;

namespace MLNet.GoogLeNet.Tests.TestData;

/// <summary>Runs a .NET program or a dotnet command in its own process and captures what it prints.</summary>
public static class ProcessRunner
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static Result RunDotnet(string assembly, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null) =>
        Dotnet([assembly, .. arguments], timeout, workingDirectory ?? Path.GetDirectoryName(assembly)!);

    /// <summary>
    /// Runs <c>dotnet</c> with <paramref name="arguments"/>. <paramref name="environment"/> sets (or, with a null value,
    /// removes) variables of the child's environment.
    /// </summary>
    public static Result Dotnet(IEnumerable<string> arguments, TimeSpan timeout, string workingDirectory,
                                IReadOnlyDictionary<string, string?>? environment = null) =>
        Run("dotnet", arguments, timeout, workingDirectory, environment);

    /// <summary>
    /// Runs <paramref name="program"/> (a path, or a name on the PATH) with <paramref name="arguments"/>;
    /// <paramref name="environment"/> as for <see cref="Dotnet"/>.
    /// </summary>
    public static Result Run(string program, IEnumerable<string> arguments, TimeSpan timeout, string workingDirectory,
                             IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
                start.Environment.Remove(name);
            else
                start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish within {timeout}.");
        }
        return new Result(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>
    /// Starts the .NET program <paramref name="assembly"/> with <paramref name="arguments"/> in its own process without
    /// waiting for it; what it prints on either stream is appended to <paramref name="output"/> (lock it to read).
    /// </summary>
    public static Process StartDotnet(string assembly, IEnumerable<string> arguments, System.Text.StringBuilder output)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
        };
        start.ArgumentList.Add(assembly);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["NO_COLOR"] = "1";
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>
    /// Waits until <paramref name="condition"/> holds while <paramref name="child"/> (started by
    /// <see cref="StartDotnet"/>) runs; fails with what it printed so far when it ends first or
    /// <paramref name="patience"/> runs out. The output is read under its lock, and only then: the child's stream
    /// readers append to it meanwhile.
    /// </summary>
    public static void WaitWhileRunning(Process child, Func<bool> condition, string what, TimeSpan patience, System.Text.StringBuilder output)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (child.HasExited || clock.Elapsed >= patience)
            {
                string printed;
                lock (output)
                    printed = output.ToString();
                Assert.Fail(child.HasExited ? $"the run ended before {what}: {printed}" : $"no {what} within {patience}: {printed}");
            }
            Thread.Sleep(5);
        }
    }
}
