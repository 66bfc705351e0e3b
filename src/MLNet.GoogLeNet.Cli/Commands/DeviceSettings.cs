using System.ComponentModel;
using System.Globalization;
using MLNet.GoogLeNet.Cli.Jobs;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.GoogLeNet.Cli.Commands;

/// <summary>The options every training command shares: where and how the arithmetic runs, and the seed.</summary>
internal abstract class DeviceSettings : CommandSettings
{
    [CommandOption("--device <DEVICE>")]
    [Description("cpu, gpu or gpu:N (CUDA device N; needs the CUDA build). Default cpu.")]
    public string Device { get; init; } = "cpu";

    [CommandOption("--seed <N>")]
    [Description("Seed of the weights, shuffling and splits. Default 1.")]
    public int Seed { get; init; } = DataSet.DefaultSeed;

    [CommandOption("--mixed-precision <MODE>")]
    [Description("none or bf16 (autocast to bfloat16 on a GPU, or on a CPU with AVX512-BF16/AMX; elsewhere fp32 with a warning). Default: the preset's (see googlenet presets).")]
    public string? MixedPrecision { get; init; }

    [CommandOption("--no-channels-last")]
    [Description("On a GPU, train with the standard (N, C, H, W) memory layout instead of channels-last. A CPU always convolves channels-last (docs/troubleshooting.md).")]
    public bool NoChannelsLast { get; init; }

    /// <summary>The CUDA device asked for by <see cref="Device"/>; null for the CPU.</summary>
    public int? GpuDeviceId => TryParseDevice(Device, out var gpu) ? gpu : null;

    /// <summary>Sets the seed, and the precision and layout where the command line asks for them, on <paramref name="options"/>.</summary>
    public void ApplyTo(GoogLeNetTrainerOptions options)
    {
        options.Seed = Seed;
        if (MixedPrecision is not null && TryParsePrecision(MixedPrecision, out var mode))
            options.MixedPrecision = mode;
        if (NoChannelsLast)
            options.ChannelsLast = false;
    }

    public override ValidationResult Validate()
    {
        if (!TryParseDevice(Device, out _))
            return ValidationResult.Error($"--device '{Device}' is not cpu, gpu or gpu:N");
        if (MixedPrecision is not null && !TryParsePrecision(MixedPrecision, out _))
            return ValidationResult.Error($"--mixed-precision '{MixedPrecision}' is not none or bf16");
        return ValidationResult.Success();
    }

    private static bool TryParsePrecision(string text, out GoogLeNet.MixedPrecision mode)
    {
        (bool ok, mode) = text.Trim().ToLowerInvariant() switch
        {
            "none" or "fp32" => (true, GoogLeNet.MixedPrecision.None),
            "bf16" or "bfloat16" => (true, GoogLeNet.MixedPrecision.BFloat16),
            _ => (false, GoogLeNet.MixedPrecision.None),
        };
        return ok;
    }

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
