using MLNet.GoogLeNet.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Modules;

public class GoogLeNetNetworkTests
{
    [Fact]
    public void Recipe_network_gives_the_recipe_shape_trace()
    {
        using var net = new GoogLeNetNetwork(GoogLeNetConfiguration.Recipe);
        var trace = net.TraceShapes();

        Assert.Equal(["b1", "b2", "b3", "b4", "b5", "dense"], trace.Select(t => t.Stage));
        Assert.Equal([1L, 64, 24, 24], trace[0].Shape);
        Assert.Equal([1L, 192, 12, 12], trace[1].Shape);
        Assert.Equal([1L, 480, 6, 6], trace[2].Shape);
        Assert.Equal([1L, 832, 3, 3], trace[3].Shape);
        Assert.Equal([1L, 1024, 1, 1], trace[4].Shape);
        Assert.Equal([1L, 10], trace[5].Shape);
        Assert.Equal("b1 output shape:\t (1, 64, 24, 24)", GoogLeNetNetwork.FormatTraceLine(trace[0].Stage, trace[0].Shape));
    }

    [Fact]
    public void Recipe_network_has_5977530_parameters()
    {
        using var net = new GoogLeNetNetwork(GoogLeNetConfiguration.Recipe);
        Assert.Equal(5_977_530, net.ParameterCount);
    }

    [Fact]
    public void Rgb_input_and_other_class_counts_change_only_the_first_and_last_layers()
    {
        using var recipe = new GoogLeNetNetwork(GoogLeNetConfiguration.Recipe);
        using var rgb = new GoogLeNetNetwork(new GoogLeNetConfiguration(InputChannels: 3, ClassCount: 5, ImageHeight: 64, ImageWidth: 48));
        // Two more input channels add 2 × 64 × 7 × 7 weights; five fewer classes remove 5 × (1024 + 1) values.
        Assert.Equal(recipe.ParameterCount + 2 * 64 * 7 * 7 - 5 * 1025, rgb.ParameterCount);
        var trace = rgb.TraceShapes(batchSize: 2);
        Assert.Equal([2L, 1024, 1, 1], trace[4].Shape);
        Assert.Equal([2L, 5], trace[5].Shape);
    }

    [Fact]
    public void Width_divisor_shrinks_every_stage()
    {
        using var small = new GoogLeNetNetwork(new GoogLeNetConfiguration(1, 4, 32, 32, WidthDivisor: 8));
        var trace = small.TraceShapes();
        Assert.Equal([1L, 8, 8, 8], trace[0].Shape);
        Assert.Equal([1L, 24, 4, 4], trace[1].Shape);
        Assert.Equal([1L, 128, 1, 1], trace[4].Shape);
        Assert.Equal([1L, 4], trace[5].Shape);
    }

    [Fact]
    public void One_sgd_step_changes_the_weights_and_gives_a_finite_loss()
    {
        using var net = new GoogLeNetNetwork(new GoogLeNetConfiguration(1, 3, 32, 32, WidthDivisor: 8), seed: 1);
        using var optimizer = optim.SGD(net.parameters(), learningRate: 0.1);
        using var scope = NewDisposeScope();
        var before = net.parameters().Select(p => p.detach().clone()).ToList();

        var input = rand([4, 1, 32, 32], generator: new Generator(7));
        var target = tensor(new long[] { 0, 1, 2, 1 });
        optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(net.call(input), target);
        loss.backward();
        optimizer.step();

        Assert.True(double.IsFinite(loss.item<float>()));
        var after = net.parameters().ToList();
        Assert.Equal(before.Count, after.Count);
        // The dense layer and the first convolution receive gradient in every step.
        Assert.False(before[^2].allclose(after[^2]), "dense weights did not change");
        Assert.False(before[0].allclose(after[0]), "first convolution weights did not change");
    }

    [Fact]
    public void Weights_follow_the_xavier_variance_and_biases_start_at_zero()
    {
        using var net = new GoogLeNetNetwork(GoogLeNetConfiguration.Recipe, seed: 3);
        foreach (var (name, parameter) in net.named_parameters())
        {
            if (name.EndsWith("bias", StringComparison.Ordinal))
            {
                Assert.Equal(0, parameter.abs().max().item<float>());
                continue;
            }
            long receptive = parameter.dim() == 4 ? parameter.shape[2] * parameter.shape[3] : 1;
            double expected = 2.0 / ((parameter.shape[0] + parameter.shape[1]) * receptive);
            double actual = parameter.var().item<float>();
            // Tolerance: the sample variance of n uniform values has relative standard deviation ≈ 1.1/√n.
            double tolerance = 5 * 1.1 / Math.Sqrt(parameter.numel()) + 0.02;
            Assert.True(Math.Abs(actual / expected - 1) < tolerance,
                $"{name}: variance {actual:G4}, expected {expected:G4} (±{tolerance:P0})");
        }
    }

    [Fact]
    public void Same_seed_gives_the_same_network_and_another_seed_does_not()
    {
        var config = new GoogLeNetConfiguration(1, 3, 32, 32, WidthDivisor: 16);
        using var a = new GoogLeNetNetwork(config, seed: 5);
        using var b = new GoogLeNetNetwork(config, seed: 5);
        using var c = new GoogLeNetNetwork(config, seed: 6);
        var first = a.parameters().First();
        Assert.True(first.equal(b.parameters().First()).all().item<bool>());
        Assert.False(first.equal(c.parameters().First()).all().item<bool>());
    }

    [Fact]
    public void Channels_last_layout_keeps_names_values_and_outputs_and_converts_back()
    {
        using var net = new GoogLeNetNetwork(new GoogLeNetConfiguration(3, 4, 32, 32, WidthDivisor: 8), seed: 2);
        net.eval();
        using var scope = NewDisposeScope();
        var input = rand([2, 3, 32, 32], generator: new Generator(4));
        var before = net.named_parameters().Select(p => (p.name, Value: p.parameter.detach().clone())).ToList();
        Tensor expected;
        using (no_grad()) expected = net.call(input);
        Assert.False(net.IsChannelsLast);

        net.UseChannelsLast(true);
        Assert.True(net.IsChannelsLast);
        var weight = net.named_parameters().Single(p => p.name == "b2.conv2.conv.weight").parameter;
        // (N, C, H, W) = (24, 8, 3, 3) laid out N, H, W, C: C innermost, then W, then H.
        Assert.Equal([24L, 8, 3, 3], weight.shape);
        Assert.Equal([72L, 1, 24, 8], weight.stride());
        Assert.True(weight.requires_grad);
        AssertSameParameters(before, net);
        using (no_grad())
        {
            var actual = net.call(input);
            Assert.True(actual.allclose(expected, rtol: 1e-4, atol: 1e-5), $"max difference {(actual - expected).abs().max().item<float>()}");
        }

        net.UseChannelsLast(false);
        Assert.False(net.IsChannelsLast);
        Assert.All(net.parameters(), p => Assert.True(p.is_contiguous()));
        AssertSameParameters(before, net);

        // Each replaced weight is disposed: changing the layout leaves no tensors behind.
        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        net.UseChannelsLast(true);
        net.UseChannelsLast(false);
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    private static void AssertSameParameters(List<(string Name, Tensor Value)> expected, GoogLeNetNetwork net)
    {
        var actual = net.named_parameters().ToList();
        Assert.Equal(expected.Select(p => p.Name), actual.Select(p => p.name));
        foreach (var ((name, value), (_, parameter)) in expected.Zip(actual))
            Assert.True(value.equal(parameter).all().item<bool>(), $"{name} changed");
    }

    [Theory]
    [InlineData(0, 10, 96, 96, 1, "InputChannels")]
    [InlineData(2, 10, 96, 96, 1, "InputChannels")]
    [InlineData(1, 1, 96, 96, 1, "ClassCount")]
    [InlineData(1, -3, 96, 96, 1, "ClassCount")]
    [InlineData(1, 10, 31, 96, 1, "ImageHeight")]
    [InlineData(1, 10, 96, 16, 1, "ImageWidth")]
    [InlineData(1, 10, 96, 96, 0, "WidthDivisor")]
    public void Invalid_configuration_is_rejected_naming_the_parameter(
        int channels, int classes, int height, int width, int divisor, string parameter)
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new GoogLeNetNetwork(new GoogLeNetConfiguration(channels, classes, height, width, divisor)));
        Assert.Equal(parameter, error.ParamName);
    }
}
