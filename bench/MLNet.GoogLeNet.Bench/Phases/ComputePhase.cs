using System.Diagnostics;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Native;
using MLNet.GoogLeNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Bench.Phases;

/// <summary>
/// (a) The ceiling for Fit: SGD steps of the recipe's network on a batch already in memory, the same operations the
/// trainer's loop runs (zero_grad, forward, cross-entropy, backward, step, loss and accuracy read back), in the
/// channels-last layout Fit trains in by default and in the standard layout.
/// </summary>
internal static class ComputePhase
{
    public static IEnumerable<Measurement> Run(BenchOptions options)
    {
        int batch = options.BatchSize, steps = options.ComputeSteps;
        yield return new Measurement("compute_train_fp32", StepsPerSecond(channelsLast: false, MixedPrecision.None, batch, steps), "img/s");
        yield return new Measurement("compute_train_fp32_channels_last", StepsPerSecond(channelsLast: true, MixedPrecision.None, batch, steps), "img/s");
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

    /// <summary>Images per second of <paramref name="steps"/> training steps after two warm-up steps.</summary>
    internal static double StepsPerSecond(bool channelsLast, MixedPrecision precision, int batch, int steps)
    {
        using var network = new GoogLeNetNetwork(GoogLeNetConfiguration.Recipe, seed: 1);
        network.UseChannelsLast(channelsLast);
        using var optimizer = optim.SGD(network.parameters(), 0.1);
        using var input = rand([batch, 1, 96, 96], generator: new Generator(1));
        using var target = randint(0, 10, [batch], generator: new Generator(2));
        for (int i = 0; i < 2; i++)
            Step(network, optimizer, input, target, precision);  // warm-up: allocations, kernel selection
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++)
            Step(network, optimizer, input, target, precision);
        return steps * batch / clock.Elapsed.TotalSeconds;
    }

    private static void Step(GoogLeNetNetwork network, optim.Optimizer optimizer, Tensor input, Tensor target, MixedPrecision precision)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        Tensor logits, loss;
        using (AutocastRegion.Enter(DeviceType.CPU, precision))
        {
            logits = network.call(input);
            loss = nn.functional.cross_entropy(logits, target);
        }
        _ = loss.item<float>();
        loss.backward();
        optimizer.step();
        _ = logits.argmax(1).eq(target).sum().item<long>();
    }
}
