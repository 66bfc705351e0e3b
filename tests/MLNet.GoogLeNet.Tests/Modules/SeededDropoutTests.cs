using MLNet.GoogLeNet.Modules;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Modules;

/// <summary>
/// <see cref="SeededDropout"/> computes nn.Dropout's function with masks its seed decides (GlobalGeneratorTests: and
/// never touches torch's global generator once seeded).
/// </summary>
public sealed class SeededDropoutTests
{
    private const double Rate = 0.2;

    [Fact]
    public void A_seed_decides_the_mask_which_drops_the_rate_and_scales_the_rest()
    {
        using var dropout = new SeededDropout(Rate);
        dropout.train();
        using var input = ones(200, 500);

        dropout.Reseed(7, CPU);
        using var first = dropout.call(input);

        dropout.Reseed(7, CPU);
        using var again = dropout.call(input);
        dropout.Reseed(8, CPU);
        using var other = dropout.call(input);
        Assert.True(first.eq(again).all().item<bool>(), "The same seed gave another mask.");
        Assert.False(first.eq(other).all().item<bool>(), "Another seed gave the same mask.");

        // Each value is 0 (dropped) or 1 / (1 − rate) (kept), and about the rate of them are dropped.
        using var zeros = first.eq(0);
        using var scaled = first.eq((float)(1 / (1 - Rate)));
        Assert.True(zeros.logical_or(scaled).all().item<bool>(), "A value is neither dropped nor scaled by 1 / (1 − rate).");
        double dropped = zeros.to_type(ScalarType.Float64).mean().item<double>();
        Assert.InRange(dropped, Rate - 0.01, Rate + 0.01);  // 100,000 draws: the standard error is 0.0013
    }

    [Fact]
    public void The_gradient_passes_through_the_kept_values_and_scoring_is_the_identity()
    {
        using var dropout = new SeededDropout(Rate);
        dropout.train();
        dropout.Reseed(3, CPU);
        using var input = rand(4, 64).requires_grad_();
        using var output = dropout.call(input);
        using var sum = output.sum();
        sum.backward();
        // d output / d input is the mask scaled: the output divided by the input, value by value.
        using var expected = output.detach().div(input.detach());
        Assert.True(input.grad!.allclose(expected, rtol: 1e-5, atol: 1e-6), "The gradient is not the scaled mask.");

        dropout.eval();
        using var scored = dropout.call(input);
        Assert.True(scored.eq(input).all().item<bool>(), "Scoring changed its input.");
    }

    [Fact]
    public void A_rate_outside_zero_to_one_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SeededDropout(1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SeededDropout(-0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SeededDropout(double.NaN));
    }
}
