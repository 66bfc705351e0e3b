// Throughput benchmark of MLNet.GoogLeNet, side by side with PyTorch, for the recipe's network at 96×96:
//   dotnet run -c Release --project bench/MLNet.GoogLeNet.Bench
// Each phase runs in its own process (so that its peak memory is its own); the parent prints a table with ratios
// and writes the figures as JSON (bench/results/bench-results.json).
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MLNet.GoogLeNet.Bench;
using MLNet.GoogLeNet.Bench.Phases;
using MLNet.GoogLeNet.IO;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

if (options.Phase is { } phase)
{
    IEnumerable<Measurement> results = phase switch
    {
        "compute" => ComputePhase.Run(options),
        "fit" => FitPhase.Run(options, FitPhase.Variant.Defaults),
        "fit-nocache" => FitPhase.Run(options, FitPhase.Variant.NoCache),
        "fit-tuned" => FitPhase.Run(options, FitPhase.Variant.Tuned),
        "inference" => InferencePhase.Fitted(options),
        "serve" => InferencePhase.Loaded(options),
        _ => throw new ArgumentException($"Unknown phase '{phase}'."),
    };
    Console.WriteLine("RESULT " + JsonSerializer.Serialize(results.ToList()));
    return 0;
}

var all = new Dictionary<string, Measurement>();
foreach (var name in new[] { "compute", "fit", "fit-nocache", "fit-tuned", "inference", "serve" })
{
    Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] phase {name}…");
    foreach (var m in RunPhase(name, options))
        all[m.Name] = m;
}
Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] PyTorch peer…");
var peer = PyTorchPeer.Run(options);
foreach (var m in peer.Measurements)
    all[m.Name] = m;

var table = Report.Table(all, peer, options);
Console.WriteLine(table);
string json = JsonSerializer.Serialize(new
{
    machine = new { Environment.ProcessorCount, os = Environment.OSVersion.ToString(), dotnet = Environment.Version.ToString() },
    options = new { options.BatchSize, options.ComputeSteps, options.FitImages, options.FitEpochs, options.InferenceImages, options.EngineImages },
    pytorch = peer.Description,
    measurements = all.Values,
    table,
}, new JsonSerializerOptions { WriteIndented = true });
AtomicFile.Write(options.Output, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(json)));
Console.WriteLine($"written {options.Output}");
return 0;

static IEnumerable<Measurement> RunPhase(string phase, BenchOptions options)
{
    var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true };
    start.ArgumentList.Add(typeof(BenchOptions).Assembly.Location);
    foreach (var argument in options.ForPhase(phase))
        start.ArgumentList.Add(argument);
    using var process = Process.Start(start)!;
    string output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    var line = output.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
    if (process.ExitCode != 0 || line is null)
        throw new InvalidOperationException($"Phase {phase} failed (exit code {process.ExitCode}):\n{output}");
    return JsonSerializer.Deserialize<List<Measurement>>(line["RESULT ".Length..])!;
}
