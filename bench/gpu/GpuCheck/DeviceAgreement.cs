using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.GpuCheck;

/// <summary>
/// The same network, weights and batch on the CPU and on the device: the logits, and every weight after one of the
/// trainer's SGD steps (the recipe's options, its plain network at 96×96, channels-last as <c>Fit</c> trains), agree
/// within <see cref="Tolerance"/> of the largest value. TF32 is off on the device for the comparison
/// (<see cref="Tf32Off"/>), and dropout is off (eval mode) because each device draws its own masks; the plain
/// network has no batch normalisation, so nothing else differs from a training step.
/// </summary>
internal static class DeviceAgreement
{
    /// <summary>
    /// fp32 with different summation orders (cuDNN's algorithms against oneDNN's or the CPU's matrix products) differs
    /// by about 1e-6 of the largest value per layer; 1e-4 leaves room for the network's depth, and is the bound the
    /// suite holds the library to against torchvision (TestData/TorchvisionAgreement).
    /// </summary>
    public const double Tolerance = 1e-4;

    private const int Batch = 32;

    public static void Run(CheckReport report, Device device)
    {
        var options = GoogLeNetTrainerOptions.Recipe();
        var configuration = GoogLeNetConfiguration.Recipe with { Architecture = options.Architecture };
        using var fp32 = new Tf32Off();
        using var reference = new GoogLeNetNetwork(configuration, seed: 1, options.Initialization);
        using var candidate = new GoogLeNetNetwork(configuration, seed: 2, options.Initialization);
        candidate.to(device);
        foreach (var network in new[] { reference, candidate })
        {
            network.UseChannelsLast(true);
            network.eval();
        }
        using (no_grad())
            foreach (var (name, parameter) in candidate.named_parameters())
                parameter.copy_(reference.get_parameter(name)!);

        using var scope = NewDisposeScope();
        var input = rand([Batch, 1, configuration.ImageHeight, configuration.ImageWidth], generator: new Generator(1));
        var target = randint(0, configuration.ClassCount, [Batch], generator: new Generator(2));
        using (no_grad())
            report.AtMost("agreement.logits", Difference(reference.call(input), candidate.call(input.to(device))), Tolerance,
                $"of the largest logit (CPU against {device}, fp32, TF32 off)");

        using var cpuStep = new TrainingStep(reference, options, DeviceType.CPU, MixedPrecision.None);
        using var deviceStep = new TrainingStep(candidate, options, device.type, MixedPrecision.None);
        var (cpuLoss, _) = cpuStep.Run(input, target);
        var (deviceLoss, _) = deviceStep.Run(input.to(device), target.to(device));
        report.AtMost("agreement.loss", Math.Abs(cpuLoss - deviceLoss) / Math.Abs(cpuLoss), Tolerance, "relative");
        var (worst, worstName) = candidate.named_parameters()
            .Select(p => (Difference(reference.get_parameter(p.name)!, p.parameter), p.name))
            .MaxBy(p => p.Item1);
        report.AtMost("agreement.weights_after_one_step", worst, Tolerance,
            $"of the largest value, worst layer {worstName} (SGD, learning rate {options.LearningRate})");
    }

    /// <summary>The largest difference between the two, over the largest magnitude of <paramref name="expected"/>.</summary>
    private static double Difference(Tensor expected, Tensor actual)
    {
        using var scope = NewDisposeScope();
        var cpu = actual.detach().cpu();
        return (expected.detach() - cpu).abs().max().item<float>() / Math.Max(expected.detach().abs().max().item<float>(), 1e-12);
    }
}
