using System.Globalization;

namespace MLNet.GoogLeNet.Bench;

/// <summary>Process memory read from /proc/self/status (Linux); zero elsewhere.</summary>
internal static class Memory
{
    /// <summary>Peak resident set size of this process so far, MiB.</summary>
    public static double PeakResidentMiB => Read("VmHWM:");

    /// <summary>Current resident set size, MiB.</summary>
    public static double ResidentMiB => Read("VmRSS:");

    private static double Read(string key)
    {
        if (!File.Exists("/proc/self/status")) return 0;
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
    }
}

/// <summary>One measured figure of a phase.</summary>
internal sealed record Measurement(string Name, double Value, string Unit);
