using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Serving;

/// <summary>
/// examples/WebApi's build output run in a process of its own on Kestrel at a free port: the real server's limits
/// (body size, chunked bodies, connections), and its memory read from /proc without the test process in it.
/// </summary>
public sealed partial class WebApiProcess : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="modelPath">The model zip to serve.</param>
    /// <param name="settings">More settings as command-line pairs, e.g. <c>"--MaxConcurrentPredictions", "2"</c>.</param>
    public WebApiProcess(string modelPath, params string[] settings)
        : this(modelPath, environment: null, settings)
    {
    }

    /// <param name="modelPath">The model zip to serve.</param>
    /// <param name="environment">Variables set in the server's environment.</param>
    /// <param name="settings">More settings as command-line pairs.</param>
    public WebApiProcess(string modelPath, IReadOnlyDictionary<string, string>? environment, params string[] settings)
    {
        string assembly = RepositoryPaths.BuiltAssembly(Path.Combine("examples", "WebApi"), "WebApi");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
        };
        foreach (var argument in (string[])[assembly, "--Model", modelPath, "--urls", "http://127.0.0.1:0", .. settings])
            start.ArgumentList.Add(argument);
        start.Environment["NO_COLOR"] = "1";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Received(e.Data);
        _process.ErrorDataReceived += (_, e) => Received(e.Data);
        _process.Exited += (_, _) => _listening.TrySetException(new InvalidOperationException($"the web API exited:\n{Output}"));
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Everything the server printed so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    /// <summary>Waits for the server to listen and gives its address; throws with its output if it exits or does not start in time.</summary>
    public Uri Address => _listening.Task.WaitAsync(StartTimeout).GetAwaiter().GetResult();

    /// <summary>Waits for the server to exit (a server refusing its settings) and gives its exit code.</summary>
    public int WaitForExit()
    {
        if (!_process.WaitForExit(StartTimeout))
            throw new TimeoutException($"the web API is still running:\n{Output}");
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>A client of the server with room for <paramref name="connections"/> requests at once.</summary>
    public HttpClient Client(int connections = 16) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = connections }) { BaseAddress = Address, Timeout = TimeSpan.FromMinutes(2) };

    /// <summary>The server's peak resident memory so far (VmHWM in /proc/PID/status), in bytes.</summary>
    public long PeakResidentBytes
    {
        get
        {
            foreach (string line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return 1024 * long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
            throw new InvalidOperationException($"/proc/{_process.Id}/status has no VmHWM line.");
        }
    }

    private void Received(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
        if (Listening().Match(line) is { Success: true } match)
            _listening.TrySetResult(new Uri(match.Groups[1].Value));
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex Listening();

    /// <summary>
    /// Stops the server as a service manager does, with SIGTERM, and waits for it to shut down (ASP.NET Core disposes its
    /// services on the way); gives its exit code.
    /// </summary>
    public int Stop()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            kill.WaitForExit();
        if (!_process.WaitForExit(StopTimeout))
            throw new TimeoutException($"the web API did not stop within {StopTimeout} of SIGTERM:\n{Output}");
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Stops the server if it still runs: gracefully if it stops in time, else killed.</summary>
    public void Dispose()
    {
        if (!_process.HasExited)
        {
            try
            {
                Stop();
            }
            catch (TimeoutException)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }
        _process.Dispose();
    }
}
