using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.GoogLeNet.Cli.Commands;

/// <summary>The options every training command shares: where to train and the seed.</summary>
internal abstract class DeviceSettings : CommandSettings
{
    [CommandOption("--device <DEVICE>")]
    [Description("cpu, gpu or gpu:N (CUDA device N; needs the CUDA build). Default cpu.")]
    public string Device { get; init; } = "cpu";

    [CommandOption("--seed <N>")]
    [Description("Seed of the weights, shuffling and splits. Default 1.")]
    public int Seed { get; init; } = 1;

    /// <summary>The CUDA device asked for by <see cref="Device"/>; null for the CPU.</summary>
    public int? GpuDeviceId => TryParseDevice(Device, out var gpu) ? gpu : null;

    public override ValidationResult Validate() => TryParseDevice(Device, out _)
        ? ValidationResult.Success()
        : ValidationResult.Error($"--device '{Device}' is not cpu, gpu or gpu:N");

    /// <summary>"cpu" → null; "gpu" → 0; "gpu:N" or "cuda:N" → N.</summary>
    internal static bool TryParseDevice(string text, out int? gpu)
    {
        gpu = null;
        string value = text.Trim().ToLowerInvariant();
        if (value == "cpu") return true;
        if (value is "gpu" or "cuda") { gpu = 0; return true; }
        var parts = value.Split(':');
        if (parts.Length == 2 && parts[0] is "gpu" or "cuda" && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int id))
        {
            gpu = id;
            return true;
        }
        return false;
    }
}
