using System.Globalization;
using System.Text.Json;

namespace MLNet.GoogLeNet.GpuCheck;

/// <summary>
/// What the check measured and whether each bound held: printed line by line as it goes (the GPU machine's output comes
/// back as the command's tail) and written whole to <c>gpu-check.json</c> after every entry, so a run cut short still
/// leaves what it had.
/// </summary>
internal sealed class CheckReport(string folder, bool rehearsal)
{
    private readonly List<Entry> _entries = [];

    /// <summary>True when the check runs on the CPU to prove the bundle: learning bounds are reported, not asserted.</summary>
    public bool Rehearsal { get; } = rehearsal;

    public bool AllPassed => _entries.All(e => e.Passed != false);

    /// <summary>A figure with no bound.</summary>
    public void Fact(string name, object value, string? unit = null) => Add(new(name, Format(value), unit, null, null));

    /// <summary>A figure that must be at most <paramref name="bound"/>.</summary>
    public void AtMost(string name, double value, double bound, string? unit = null) =>
        Add(new(name, Format(value), unit, $"<= {Format(bound)}", value <= bound));

    /// <summary>A figure that must be at least <paramref name="bound"/>; on a rehearsal, reported only.</summary>
    public void LearnedAtLeast(string name, double value, double bound) =>
        Add(new(name, Format(value), null, $">= {Format(bound)}{(Rehearsal ? " (not asserted on a rehearsal)" : "")}",
            Rehearsal ? null : value >= bound));

    /// <summary>A condition that must hold.</summary>
    public void Holds(string name, bool passed, string detail) => Add(new(name, detail, null, "holds", passed));

    /// <summary>
    /// Runs one part of the check; an exception fails it under <paramref name="name"/>, with its message, and the
    /// parts after it still run: one run on a lent GPU machine should say all it can.
    /// </summary>
    public void Attempt(string name, Action part)
    {
        try
        {
            part();
        }
        catch (Exception e)
        {
            Console.WriteLine(e);
            Add(new(name, $"{e.GetType().Name}: {e.Message.Split('\n')[0]}", null, "runs to its end", false));
        }
    }

    private void Add(Entry entry)
    {
        _entries.Add(entry);
        string verdict = entry.Passed switch { true => "PASS", false => "FAIL", null => "    " };
        Console.WriteLine($"{verdict} {entry.Name}: {entry.Value}{(entry.Unit is null ? "" : " " + entry.Unit)}{(entry.Bound is null ? "" : $" ({entry.Bound})")}");
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, "gpu-check.json");
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(new { rehearsal = Rehearsal, entries = _entries }, JsonOptions));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private static string Format(object value) => value switch
    {
        double d => d.ToString(Math.Abs(d) is > 0 and < 1e-3 ? "E2" : "0.####", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private sealed record Entry(string Name, string Value, string? Unit, string? Bound, bool? Passed);
}
