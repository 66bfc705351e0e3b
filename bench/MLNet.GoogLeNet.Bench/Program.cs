// Throughput benchmark of MLNet.GoogLeNet, side by side with PyTorch, for the recipe's network at 96×96:
//   dotnet run -c Release --project bench/MLNet.GoogLeNet.Bench            (about 9 minutes on 2 cores)
//   dotnet run -c Release --project bench/MLNet.GoogLeNet.Bench -- --quick (every phase at tiny sizes, about a minute)
// Time to accuracy (its own mode, not part of the run above: it trains on all of Fashion-MNIST, for minutes to hours):
//   dotnet run -c Release --project bench/MLNet.GoogLeNet.Bench -- --time-to-accuracy                  (default preset, as
//       googlenet fashion-mnist trains, which README times: minutes a side)
//   dotnet run -c Release --project bench/MLNet.GoogLeNet.Bench -- --time-to-accuracy --preset recipe --budget-minutes 60
//       (the recipe at 96×96: about 16 minutes an epoch on 2 cores, 5 epochs; the budget bounds each side's training)
//   add --quick for tiny sizes (1.8 minutes on 2 heavily shared cores; "not reached" is the expected answer)
// It trains this trainer in phase "time-to-accuracy", then the PyTorch peer (pytorch_time_to_accuracy.py) with the
// same run, and prints the training seconds until the test accuracy first reaches each target, with the ratio; the
// figures go to bench/results/time-to-accuracy-PRESET.json (with --quick, the temporary folder).
// Each phase runs in its own process (so that its peak memory is its own); the parent prints a table with ratios
// and writes the figures as JSON (bench/results/bench-results.json; with --quick, in the temporary folder).
using System.Text.Json;
using MLNet.GoogLeNet;
using MLNet.GoogLeNet.Bench;
using MLNet.GoogLeNet.Bench.Phases;
using MLNet.GoogLeNet.Bench.TimeToAccuracy;
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
        "time-to-accuracy" => TimeToAccuracyPhase.Run(options),
        _ => throw new ArgumentException($"Unknown phase '{phase}': compute, fit, fit-nocache, fit-tuned, inference, serve or time-to-accuracy."),
    };
    Console.WriteLine("RESULT " + JsonSerializer.Serialize(results.ToList()));
    return 0;
}

if (options.IsTimeToAccuracy)
    return TimeToAccuracyBench.Run(options);

string? madeFolder = null;
if (options.WorkFolder is null)
{
    madeFolder = Directory.CreateTempSubdirectory("googlenet-bench-").FullName;
    options = options with { WorkFolder = madeFolder };
}
string data = FashionMnist.IsPresent(options.Data) ? $"Fashion-MNIST ({options.Data})" : $"synthetic images (no Fashion-MNIST in {options.Data})";
Console.Error.WriteLine($"images: {data}{(options.IsQuick ? "; quick mode: tiny sizes, the figures measure nothing worth keeping" : "")}");

var all = new Dictionary<string, Measurement>();
var failed = new List<PhaseProcess.Outcome>();
try
{
    foreach (var name in new[] { "compute", "fit", "fit-nocache", "fit-tuned", "inference", "serve" })
    {
        Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] phase {name}…");
        var outcome = PhaseProcess.Run(name, options);
        if (outcome.Failure is not null)
        {
            Console.Error.WriteLine($"phase {name} failed: {outcome.Failure}");
            failed.Add(outcome);
        }
        foreach (var m in outcome.Measurements)
            all[m.Name] = m;
    }
}
finally
{
    if (madeFolder is not null)
        Directory.Delete(madeFolder, recursive: true);
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
    options = new { options.BatchSize, options.ComputeSteps, options.FitImages, options.FitEpochs, options.InferenceImages, options.EngineImages, options.IsQuick },
    data,
    pytorch = peer.Description,
    failedPhases = failed.Select(f => new { phase = f.Phase, reason = f.Failure }),
    measurements = all.Values,
    table,
}, new JsonSerializerOptions { WriteIndented = true });
AtomicFile.Write(options.Output, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(json)));
Console.WriteLine($"written {options.Output}");
if (failed.Count > 0)
{
    Console.Error.WriteLine($"{failed.Count} phase(s) failed ({string.Join(", ", failed.Select(f => f.Phase))}): their rows read \"—\". " +
        $"To run one again alone: dotnet run -c Release --project bench/MLNet.GoogLeNet.Bench -- --phase {failed[0].Phase}" +
        (options.IsQuick ? " --quick" : "") + " (phase serve scores the zip that phase inference leaves in its --work folder).");
    return 1;
}
return 0;
