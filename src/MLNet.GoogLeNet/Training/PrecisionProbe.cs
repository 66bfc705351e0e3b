using System.Diagnostics;
using MLNet.GoogLeNet.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Training;

/// <summary>
/// Times training steps in fp32 and in bf16 autocast for <see cref="MixedPrecision.Auto"/>, on a throwaway network of the
/// run's configuration at the run's batch size, with the run's optimiser at a learning rate of 0. The run itself is
/// untouched: its network is not used, and the global random generator (which the throwaway network's dropout draws
/// from) is put back as it was, so a run with Auto is the run with the chosen mode set explicitly.
/// </summary>
internal static class PrecisionProbe
{
    /// <summary>
    /// Multiply-accumulates of one batch's forward pass (<see cref="ComplexityCounter"/>) on a throwaway network of
    /// <paramref name="configuration"/>, and, when at least <paramref name="minimumMultiplyAccumulates"/>, the step times
    /// of each mode: one warm-up step each, then <see cref="AutoPrecision.ProbeStepsPerMode"/> each, alternated — or,
    /// where libtorch cannot run the bf16 step on the device (a GPU without bf16 kernels), its error instead of times.
    /// </summary>
    public static (long MultiplyAccumulatesPerBatch, double[]? Fp32Seconds, double[]? Bf16Seconds, string? Bf16Error) Measure(
        GoogLeNetConfiguration configuration, GoogLeNetTrainerOptions options, Device device, int seed, long minimumMultiplyAccumulates)
    {
        var generatorState = Generator.Default.get_state();
        try
        {
            using var network = new GoogLeNetNetwork(configuration, seed, options.Initialization);
            using var scope = NewDisposeScope();
            var (_, perImage) = ComplexityCounter.Count(network, configuration.InputChannels, configuration.ImageHeight, configuration.ImageWidth);
            long perBatch = perImage * options.BatchSize;
            if (perBatch < minimumMultiplyAccumulates)
                return (perBatch, null, null, null);

            network.to(device);
            network.UseChannelsLast(ConvolutionLayout.ChannelsLastOn(device, options.ChannelsLast));
            network.train();
            using var fp32 = new TrainingStep(network, options, device.type, MixedPrecision.None);
            using var bf16 = new TrainingStep(network, options, device.type, MixedPrecision.BFloat16);
            fp32.SetLearningRate(0);
            bf16.SetLearningRate(0);
            using var inputs = new Generator((ulong)seed);
            var input = randn([options.BatchSize, configuration.InputChannels, configuration.ImageHeight, configuration.ImageWidth],
                generator: inputs).to(device);
            var target = zeros([options.BatchSize], ScalarType.Int64).to(device);

            fp32.Run(input, target);
            try
            {
                bf16.Run(input, target);
            }
            catch (System.Runtime.InteropServices.ExternalException e)
            {
                return (perBatch, null, null, e.Message);
            }
            var fp32Seconds = new double[AutoPrecision.ProbeStepsPerMode];
            var bf16Seconds = new double[AutoPrecision.ProbeStepsPerMode];
            for (int i = 0; i < AutoPrecision.ProbeStepsPerMode; i++)
            {
                // Each round swaps which mode goes first, so that neither always follows the other's cache state.
                bool fp32First = i % 2 == 0;
                if (fp32First) fp32Seconds[i] = Time(fp32, input, target);
                bf16Seconds[i] = Time(bf16, input, target);
                if (!fp32First) fp32Seconds[i] = Time(fp32, input, target);
            }
            return (perBatch, fp32Seconds, bf16Seconds, null);
        }
        finally
        {
            Generator.Default.set_state(generatorState);
            generatorState.Dispose();
        }
    }

    /// <summary>Seconds of one step; the step reads its loss back, so the device has finished when it returns.</summary>
    private static double Time(TrainingStep step, Tensor input, Tensor target)
    {
        var clock = Stopwatch.StartNew();
        step.Run(input, target);
        return clock.Elapsed.TotalSeconds;
    }
}
