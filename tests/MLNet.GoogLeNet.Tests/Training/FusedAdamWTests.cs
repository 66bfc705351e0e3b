using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Training;

/// <summary>
/// The trainer's one-pass AdamW (Training/FusedAdamW) gives TorchSharp's AdamW numbers: the same network trained the same
/// batches by each ends with the same weights and moments, up to float32 rounding; where it cannot fuse it is TorchSharp's.
/// </summary>
public sealed class FusedAdamWTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Its_steps_give_torchsharps_adamw_weights_and_moments(bool channelsLast)
    {
        var options = new GoogLeNetTrainerOptions { LearningRate = 0.01, WeightDecay = 0.05 };
        var configuration = new GoogLeNetConfiguration(1, 4, 32, 32, WidthDivisor: 16, Architecture: options.Architecture);
        using var fusedNetwork = new GoogLeNetNetwork(configuration, seed: 3, options.Initialization);
        using var plainNetwork = new GoogLeNetNetwork(configuration, seed: 3, options.Initialization);
        fusedNetwork.UseChannelsLast(channelsLast);
        plainNetwork.UseChannelsLast(channelsLast);
        using var fused = Assert.IsType<FusedAdamW>(TrainingStep.CreateOptimizer(fusedNetwork, options));
        // TorchSharp's AdamW over the other network's parameters, in the same groups with the same options.
        using var plainTemplate = Assert.IsType<FusedAdamW>(TrainingStep.CreateOptimizer(plainNetwork, options));
        using var plain = plainTemplate.TorchSharpStep();
        Assert.IsNotType<FusedAdamW>(plain);

        using var images = rand([8, 1, 32, 32], generator: new Generator(5));
        using var labels = randint(0, 4, [8], generator: new Generator(6));
        var fusedWeights = fusedNetwork.parameters().ToList();
        var plainWeights = plainNetwork.parameters().ToList();
        for (int step = 0; step < 4; step++)
        {
            using var scope = NewDisposeScope();
            foreach (var (network, optimizer) in new[] { (fusedNetwork, fused), (plainNetwork, plain) })
            {
                optimizer.zero_grad();
                nn.functional.cross_entropy(network.call(images), labels).backward();
            }
            // Both optimisers get the same gradients: rounding differences in the weights would otherwise grow through
            // the tiny network's batch normalisation (8 images, 1×1 maps in its last stage) into different gradients.
            using (no_grad())
                foreach (var (plainWeight, fusedWeight) in plainWeights.Zip(fusedWeights))
                    plainWeight.grad!.copy_(fusedWeight.grad!);
            fused.step();
            plain.step();
        }

        var fusedStates = ((OptimizerHelper)fused).state_dict().State.Cast<AdamW.State>().ToList();
        var plainStates = ((OptimizerHelper)plain).state_dict().State.Cast<AdamW.State>().ToList();
        Assert.Equal(plainStates.Count, fusedStates.Count);
        for (int i = 0; i < fusedStates.Count; i++)
        {
            Assert.Equal(4, fusedStates[i].step);
            AssertClose(plainStates[i].exp_avg, fusedStates[i].exp_avg, $"moment 1 of parameter {i}");
            AssertClose(plainStates[i].exp_avg_sq, fusedStates[i].exp_avg_sq, $"moment 2 of parameter {i}");
        }
        for (int i = 0; i < fusedWeights.Count; i++)
            AssertClose(plainWeights[i], fusedWeights[i], $"parameter {i}");
        // The steps moved the weights: the comparison is of an update, not of two untouched copies.
        using var start = new GoogLeNetNetwork(configuration, seed: 3, options.Initialization);
        float moved = start.parameters().Zip(fusedWeights).Max(pair => (pair.First - pair.Second).abs().max().item<float>());
        Assert.True(moved > 1e-3f, $"the weights moved by at most {moved}");
    }

    [Fact]
    public void Float64_parameters_take_torchsharps_own_step()
    {
        using var weightsA = new Parameter(linspace(-1, 1, 12, dtype: float64).reshape(3, 4));
        using var weightsB = new Parameter(linspace(-1, 1, 12, dtype: float64).reshape(3, 4));
        using var fused = new FusedAdamW([new AdamW.ParamGroup([weightsA], 0.1, weight_decay: 0.01)], 0.1);
        using var plain = optim.AdamW([new AdamW.ParamGroup([weightsB], 0.1, weight_decay: 0.01)], 0.1);
        foreach (var (weights, optimizer) in new[] { (weightsA, (optim.Optimizer)fused), (weightsB, plain) })
        {
            for (int step = 0; step < 3; step++)
            {
                optimizer.zero_grad();
                using var loss = (weights * weights).sum();
                loss.backward();
                optimizer.step();
            }
        }
        Assert.True(weightsA.eq(weightsB).all().item<bool>(), "a float64 parameter's steps differ from TorchSharp's AdamW");
        Assert.False(weightsA.eq(linspace(-1, 1, 12, dtype: float64).reshape(3, 4)).all().item<bool>());
    }

    [Fact]
    public void Dense_means_each_element_once_in_some_order_of_the_dimensions()
    {
        using var plain = zeros(2, 3, 4, 5);
        using var channelsLast = ConvolutionLayout.ToChannelsLast(plain);
        using var transposed = plain.transpose(1, 3);
        using var everySecond = zeros(2, 6, 4, 5)[TensorIndex.Colon, TensorIndex.Slice(step: 2)];
        using var broadcast = zeros(1, 5).expand(4, 5);
        Assert.True(FusedAdamW.IsDense(plain));
        Assert.True(FusedAdamW.IsDense(channelsLast));
        Assert.True(FusedAdamW.IsDense(transposed));
        Assert.False(FusedAdamW.IsDense(everySecond));
        Assert.False(FusedAdamW.IsDense(broadcast));
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        float scale = Math.Max(expected.abs().max().item<float>(), 1e-12f);
        float difference = (expected - actual).abs().max().item<float>();
        Assert.True(difference <= 1e-5f * scale + 1e-9f, $"{what}: differs by {difference} (largest value {scale})");
    }
}
