using System.ComponentModel;
using System.Globalization;
using MLNet.GoogLeNet.Cli.Jobs;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.GoogLeNet.Cli.Commands;

/// <summary>The options every training command shares: where and how the arithmetic runs, and the seed.</summary>
internal abstract class DeviceSettings : CommandSettings
{
    private const string DefaultDevice = "cpu";

    [CommandOption("--device <DEVICE>")]
    [Description("cpu, gpu or gpu:N (CUDA device N; needs the CUDA build).")]
    [DefaultValue(DefaultDevice)]
    public string Device { get; init; } = DefaultDevice;

    [CommandOption("--seed <N>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.Seed))]
    [Description("Seed of the weights, shuffling and splits.")]
    [DefaultValue(DataSet.DefaultSeed)]
    public int Seed { get; init; } = DataSet.DefaultSeed;

    [CommandOption("--mixed-precision <MODE>")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.MixedPrecision))]
    [Description("none: fp32 throughout. bf16: autocast the forward pass to bfloat16 on a GPU, or on a CPU with AVX512-BF16/AMX; elsewhere fp32 with a warning, since emulated bf16 is many times slower. auto: bf16 only where a few-second probe at the start measures it clearly faster than fp32 (the margin: docs/performance.md), because the gain varies from CPU to CPU; fp32 without a probe on CPUs without native bf16 and for small networks. Default: the preset's (see googlenet presets).")]
    public string? MixedPrecision { get; init; }

    [CommandOption("--no-channels-last")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.ChannelsLast))]
    [Description("On a GPU, train with the standard (N, C, H, W) memory layout instead of channels-last. A CPU always convolves channels-last (docs/troubleshooting.md).")]
    public bool NoChannelsLast { get; init; }

    [CommandOption("--no-cudnn-autotune")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.CudnnAutotune))]
    [Description("On a GPU, do not let cuDNN time its convolution algorithms on the first batch.")]
    public bool NoCudnnAutotune { get; init; }

    [CommandOption("--no-tf32")]
    [SetsOption(nameof(GoogLeNetTrainerOptions.AllowTf32))]
    [Description("On a GPU, compute float32 matrix products and convolutions in full float32 instead of TF32.")]
    public bool NoTf32 { get; init; }

    /// <summary>The CUDA device asked for by <see cref="Device"/>; null for the CPU.</summary>
    public int? GpuDeviceId => TryParseDevice(Device, out var gpu) ? gpu : null;

    /// <summary>Sets the seed, and the precision and layout where the command line asks for them, on <paramref name="options"/>.</summary>
    public void ApplyTo(GoogLeNetTrainerOptions options)
    {
        options.Seed = Seed;
        var precision = options.MixedPrecision;
        if (OptionNames.TryParse(OptionNames.MixedPrecisions, MixedPrecision, "--mixed-precision", ref precision) is null)
            options.MixedPrecision = precision;
        if (NoChannelsLast)
            options.ChannelsLast = false;
        if (NoCudnnAutotune)
            options.CudnnAutotune = false;
        if (NoTf32)
            options.AllowTf32 = false;
    }

    public override ValidationResult Validate()
    {
        if (!TryParseDevice(Device, out _))
            return ValidationResult.Error($"--device '{Device}' is not cpu, gpu or gpu:N");
        var precision = GoogLeNet.MixedPrecision.None;
        if (OptionNames.TryParse(OptionNames.MixedPrecisions, MixedPrecision, "--mixed-precision", ref precision) is { } problem)
            return ValidationResult.Error(problem);
        return ValidationResult.Success();
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
