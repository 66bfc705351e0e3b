using System.Diagnostics;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Native;
using MLNet.GoogLeNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Bench.Phases;

/// <summary>
/// (a) The ceiling for Fit: the trainer's own <see cref="TrainingStep"/> with the recipe's options (SGD, the plain
/// network) on a batch already in memory, in the channels-last layout Fit trains in by default and in the standard layout;
/// and the main command's step (<see cref="QuickRun.FashionMnist"/>: the default preset's batch-normalised network with
/// the main command's optimiser at 32×32), where small images make everything but the arithmetic weigh more, with the
/// time of that step's optimiser alone.
/// </summary>
internal static class ComputePhase
{
    public static IEnumerable<Measurement> Run(BenchOptions options)
    {
        int batch = options.BatchSize, steps = options.ComputeSteps;
        yield return new Measurement("compute_train_fp32", StepsPerSecond(channelsLast: false, MixedPrecision.None, batch, steps), "img/s");
        yield return new Measurement("compute_train_fp32_channels_last", StepsPerSecond(channelsLast: true, MixedPrecision.None, batch, steps), "img/s");
        yield return new Measurement("compute_train_main_32_fp32", MainCommandStepsPerSecond(MixedPrecision.None, options.MainCommandBatch, steps), "img/s");
        var (onePass, torchSharp) = MainCommandOptimizerMilliseconds(options.MainCommandBatch, steps);
        yield return new Measurement("compute_main_optimizer_one_pass", onePass, "ms");
        yield return new Measurement("compute_main_optimizer_torchsharp", torchSharp, "ms");
        // The same after NativeMemory.KeepFreedMemory (process-wide, so measured after the figures with glibc's defaults).
        if (NativeMemory.KeepFreedMemory())
        {
            yield return new Measurement("compute_train_fp32_kept_memory", StepsPerSecond(channelsLast: false, MixedPrecision.None, batch, steps), "img/s");
            yield return new Measurement("compute_train_fp32_channels_last_kept_memory", StepsPerSecond(channelsLast: true, MixedPrecision.None, batch, steps), "img/s");
        }
        // bf16 autocast, forced on whatever the CPU: the trainer uses it only where bf16 is native (PrecisionSupport).
        if (options.IncludeBFloat16 && LibTorchSwitches.Available)
            yield return new Measurement("compute_train_bf16_autocast", StepsPerSecond(channelsLast: true, MixedPrecision.BFloat16, batch, steps: 1), "img/s");
        yield return new Measurement("compute_threads", get_num_threads(), "threads");
    }

    /// <summary>Images per second of <paramref name="steps"/> training steps of the recipe after two warm-up steps.</summary>
    internal static double StepsPerSecond(bool channelsLast, MixedPrecision precision, int batch, int steps)
    {
        var options = GoogLeNetTrainerOptions.Recipe();
        return StepsPerSecond(GoogLeNetConfiguration.Recipe with { Architecture = options.Architecture }, options, channelsLast, precision, batch, steps);
    }

    /// <summary>The same for the main command's step: the default preset at 32×32, channels-last as Fit trains.</summary>
    internal static double MainCommandStepsPerSecond(MixedPrecision precision, int batch, int steps)
    {
        var (configuration, options) = MainCommandNetwork();
        return StepsPerSecond(configuration, options, channelsLast: true, precision, batch, steps);
    }

    /// <summary>
    /// (o) Milliseconds of the optimiser's step alone in the main command's step, on the gradients of one batch: the
    /// trainer's one-pass AdamW (<see cref="FusedAdamW"/>) and TorchSharp's AdamW over the same parameters, alternated.
    /// </summary>
    internal static (double OnePass, double TorchSharp) MainCommandOptimizerMilliseconds(int batch, int steps)
    {
        var (configuration, options) = MainCommandNetwork();
        return WithStep(configuration, options, channelsLast: true, MixedPrecision.None, batch, (step, input, target) =>
        {
            step.Run(input, target);  // gradients and the optimiser's moments
            using var torchSharp = ((FusedAdamW)step.Optimizer).TorchSharpStep();
            double onePass = 0, torchSharpTime = 0;
            for (int i = 0; i < steps + 2; i++)
            {
                double a = Milliseconds(step.Optimizer), b = Milliseconds(torchSharp);
                if (i >= 2)  // the first two of each: warm-up
                    (onePass, torchSharpTime) = (onePass + a, torchSharpTime + b);
            }
            return (onePass / steps, torchSharpTime / steps);
        });

        static double Milliseconds(optim.Optimizer optimizer)
        {
            var clock = Stopwatch.StartNew();
            optimizer.step();
            return clock.Elapsed.TotalMilliseconds;
        }
    }

    private static (GoogLeNetConfiguration, GoogLeNetTrainerOptions) MainCommandNetwork()
    {
        var run = QuickRun.FashionMnist;
        var options = run.TrainerOptions();
        return (GoogLeNetConfiguration.Recipe with { Architecture = options.Architecture, ImageHeight = run.ImageSize, ImageWidth = run.ImageSize }, options);
    }

    private static double StepsPerSecond(GoogLeNetConfiguration configuration, GoogLeNetTrainerOptions options, bool channelsLast,
        MixedPrecision precision, int batch, int steps) =>
        WithStep(configuration, options, channelsLast, precision, batch, (step, input, target) =>
        {
            for (int i = 0; i < 2; i++)
                step.Run(input, target);  // warm-up: allocations, kernel selection
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < steps; i++)
                step.Run(input, target);
            return steps * batch / clock.Elapsed.TotalSeconds;
        });

    /// <summary>
    /// <paramref name="measure"/> of a training step of a fresh network (seed 1) on one random batch in memory, laid out
    /// as <paramref name="channelsLast"/> says, in training mode.
    /// </summary>
    private static T WithStep<T>(GoogLeNetConfiguration configuration, GoogLeNetTrainerOptions options, bool channelsLast,
        MixedPrecision precision, int batch, Func<TrainingStep, Tensor, Tensor, T> measure)
    {
        using var network = new GoogLeNetNetwork(configuration, seed: 1, options.Initialization);
        network.UseChannelsLast(channelsLast);
        network.train();
        using var step = new TrainingStep(network, options, DeviceType.CPU, precision);
        using var input = rand([batch, configuration.InputChannels, configuration.ImageHeight, configuration.ImageWidth], generator: new Generator(1));
        using var target = randint(0, configuration.ClassCount, [batch], generator: new Generator(2));
        return measure(step, input, target);
    }
}
