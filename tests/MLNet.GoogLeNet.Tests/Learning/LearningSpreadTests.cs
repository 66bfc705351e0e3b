using System.Globalization;
using System.Text.RegularExpressions;
using MLNet.GoogLeNet.Modules;
using Xunit.Abstractions;

namespace MLNet.GoogLeNet.Tests.Learning;

/// <summary>
/// Trains every <see cref="LearningCase"/> with several seeds on each numerical path this process can reach and appends
/// one row per figure to the file <c>LEARNING_SPREAD_OUT</c> names; tests/learning-spread runs it once as the CPU is and
/// once in a process whose oneDNN and MKL are held to AVX2, then prints each figure's spread against its bound.
/// </summary>
/// <remarks>
/// The paths: oneDNN's convolutions (not on a CPU where they are wrong) and the library's matrix-product convolutions
/// (<see cref="ConvolutionFault.Force"/>), each under the process's instruction-set limits; with
/// <c>LEARNING_SPREAD_PATHS=one</c>, only the first of them that is right here. <c>LEARNING_SPREAD_SEEDS</c> (default 8) and <c>LEARNING_SPREAD_CASES</c> (a regular
/// expression over the cases' names) narrow the run.
/// </remarks>
public sealed class LearningSpreadTests(ITestOutputHelper output)
{
    [LearningSpreadFact]
    public void Every_learning_case_is_trained_with_each_seed_on_each_path()
    {
        string file = Environment.GetEnvironmentVariable(LearningSpreadFactAttribute.OutputVariable)!;
        int seeds = int.Parse(Environment.GetEnvironmentVariable("LEARNING_SPREAD_SEEDS") ?? "8", CultureInfo.InvariantCulture);
        var only = new Regex(Environment.GetEnvironmentVariable("LEARNING_SPREAD_CASES") ?? "");
        string limits = Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") is { Length: > 0 } isa ? $"isa={isa}" : "isa=cpu";

        bool onePath = Environment.GetEnvironmentVariable("LEARNING_SPREAD_PATHS") == "one";
        var cases = LearningCase.All.Where(c => only.IsMatch(c.Name)).ToList();
        Assert.NotEmpty(cases);
        foreach (var learning in cases)
        {
            bool[] convolutions = ConvolutionFault.OnThisCpu ? [true] : onePath ? [false] : [false, true];
            foreach (bool avoidOneDnn in convolutions)
            {
                string path = avoidOneDnn ? $"{limits} matrix-products" : $"{limits} onednn";
                for (int seed = 1; seed <= seeds; seed++)
                {
                    var started = DateTime.UtcNow;
                    string[] rows;
                    try
                    {
                        using var forced = ConvolutionFault.Force(avoidOneDnn);
                        var outcome = learning.Train(seed);
                        rows = learning.Bounds.Select(b => Row(learning, path, seed, b, outcome[b.Figure], started)).ToArray();
                    }
                    catch (Exception e)
                    {
                        // A training that fails (diverges, throws) is a figure outside every bound, not the end of the run.
                        output.WriteLine($"{learning.Name} {path} seed {seed}: {e}");
                        rows = learning.Bounds.Select(b => Row(learning, path, seed, b, double.NaN, started)).ToArray();
                    }
                    File.AppendAllLines(file, rows);
                }
            }
        }
    }

    /// <summary>case, path, seed, figure, bound, value, seconds: tab-separated, the columns tests/learning-spread reads.</summary>
    private static string Row(LearningCase learning, string path, int seed, LearningBound bound, double value, DateTime started) =>
        string.Join('\t', learning.Name, path, seed.ToString(CultureInfo.InvariantCulture), bound.Figure, bound.ToString(),
            value.ToString("G4", CultureInfo.InvariantCulture),
            (DateTime.UtcNow - started).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture));
}
