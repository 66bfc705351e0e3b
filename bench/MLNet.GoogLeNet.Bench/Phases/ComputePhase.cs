using System.Diagnostics;
using MLNet.GoogLeNet.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Bench.Phases;

/// <summary>
/// (a) The ceiling for Fit: SGD steps of the recipe's network on a batch already in memory, the same operations the
/// trainer's loop runs (zero_grad, forward, cross-entropy, backward, step, loss and accuracy read back).
/// </summary>
internal static class ComputePhase
{
    public static IEnumerable<Measurement> Run(BenchOptions options)
    {
        yield return new Measurement("compute_train_fp32", StepsPerSecond(ScalarType.Float32, options.BatchSize, options.ComputeSteps), "img/s");
        // The same after NativeMemory.KeepFreedMemory (process-wide, so measured last among the fp32 figures).
        if (MLNet.GoogLeNet.Native.NativeMemory.KeepFreedMemory())
            yield return new Measurement("compute_train_fp32_kept_memory", StepsPerSecond(ScalarType.Float32, options.BatchSize, options.ComputeSteps), "img/s");
        if (options.IncludeBFloat16)
            yield return new Measurement("compute_train_bf16", StepsPerSecond(ScalarType.BFloat16, options.BatchSize, steps: 1), "img/s");
        yield return new Measurement("compute_threads", get_num_threads(), "threads");
    }

    private static double StepsPerSecond(ScalarType dtype, int batch, int steps)
    {
        using var network = new GoogLeNetNetwork(GoogLeNetConfiguration.Recipe, seed: 1);
        network.to(dtype);
        using var optimizer = optim.SGD(network.parameters(), 0.1);
        using var input = rand([batch, 1, 96, 96], generator: new Generator(1)).to(dtype);
        using var target = randint(0, 10, [batch], generator: new Generator(2));
        for (int i = 0; i < 2; i++)
            Step(network, optimizer, input, target);  // warm-up: allocations, kernel selection
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++)
            Step(network, optimizer, input, target);
        return steps * batch / clock.Elapsed.TotalSeconds;
    }

    private static void Step(GoogLeNetNetwork network, optim.Optimizer optimizer, Tensor input, Tensor target)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var logits = network.call(input);
        var loss = nn.functional.cross_entropy(logits.to(ScalarType.Float32), target);
        _ = loss.item<float>();
        loss.backward();
        optimizer.step();
        _ = logits.argmax(1).eq(target).sum().item<long>();
    }
}
