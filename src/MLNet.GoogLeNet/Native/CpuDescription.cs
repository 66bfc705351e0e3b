using System.Runtime.InteropServices;

namespace MLNet.GoogLeNet.Native;

/// <summary>
/// This machine's processor as Linux describes it in /proc/cpuinfo (its first processor): name, family and model
/// numbers, and instruction-set flags. Elsewhere only the architecture is known and the flags are empty.
/// </summary>
/// <param name="Name">The model name ("AMD EPYC 9B45", "Intel(R) Xeon(R) …"), or the process architecture where unknown.</param>
/// <param name="Family">The CPU family number ("cpu family"; 26 for AMD Zen 5), or null.</param>
/// <param name="Model">The model number, or null.</param>
/// <param name="Flags">Instruction-set flags as /proc/cpuinfo spells them (avx512f, avx512_bf16, amx_bf16, …).</param>
internal sealed record CpuDescription(string Name, int? Family, int? Model, IReadOnlySet<string> Flags)
{
    private static readonly Lazy<CpuDescription> Machine = new(Read);

    /// <summary>This machine's processor, read once.</summary>
    public static CpuDescription Current => Machine.Value;

    /// <summary>True when the CPU computes bf16 natively (AVX512-BF16 or AMX).</summary>
    public bool HasNativeBFloat16 => Flags.Contains("avx512_bf16") || Flags.Contains("amx_bf16");

    /// <summary>Reads the fields of /proc/cpuinfo's first processor ("name : value" lines up to the first blank line).</summary>
    internal static CpuDescription Parse(IEnumerable<string> cpuInfoLines)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in cpuInfoLines)
        {
            if (line.Length == 0 && fields.Count > 0)
                break;
            int colon = line.IndexOf(':');
            if (colon > 0)
                fields.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
        }
        int? Number(string name) => fields.TryGetValue(name, out var text) && int.TryParse(text, out int value) ? value : null;
        string flags = fields.GetValueOrDefault("flags") ?? fields.GetValueOrDefault("Features") ?? "";
        return new CpuDescription(
            fields.GetValueOrDefault("model name") ?? RuntimeInformation.ProcessArchitecture.ToString(),
            Number("cpu family"), Number("model"),
            flags.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal));
    }

    private static CpuDescription Read()
    {
        const string cpuInfo = "/proc/cpuinfo";
        return OperatingSystem.IsLinux() && File.Exists(cpuInfo)
            ? Parse(File.ReadLines(cpuInfo))
            : new CpuDescription(RuntimeInformation.ProcessArchitecture.ToString(), null, null, new HashSet<string>());
    }
}
