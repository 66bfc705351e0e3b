using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Modules.Reference;

namespace MLNet.GoogLeNet.Tests.Modules;

/// <summary>
/// The size comparison of <c>info --compare</c>: parameters and multiply-accumulates of AlexNet, VGG-11, NiN and
/// GoogLeNet, against the same figures worked out here from the layer tables with the textbook formulas.
/// </summary>
public class ComplexityCounterTests
{
    // VGG-11 at 224×224 (129 million parameters, 7.5 billion MACs) is left to the 96×96 case to keep the suite fast.
    public static TheoryData<string, int> Networks => new()
    {
        { "alexnet", 224 }, { "nin", 224 }, { "googlenet", 224 },
        { "alexnet", 96 }, { "vgg-11", 96 }, { "nin", 96 }, { "googlenet", 96 },
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void Counter_agrees_with_the_layer_formulas(string name, int size)
    {
        var (parameters, macs) = name == "googlenet"
            ? Count(new GoogLeNetNetwork(new GoogLeNetConfiguration(1, 10, size, size)), size)
            : Count(ReferenceNetworks.All.Single(n => n.Name == name).Build(1, 10, size), size);
        var expected = Expected(name, size);
        Assert.Equal(expected.Parameters, parameters);
        Assert.Equal(expected.MultiplyAccumulates, macs);
    }

    [Fact]
    public void Nin_and_googlenet_are_a_tenth_to_a_twentieth_of_alexnet_and_vgg_at_the_books_input()
    {
        long alexnet = Expected("alexnet", 224).Parameters, vgg = Expected("vgg-11", 224).Parameters;
        long nin = Expected("nin", 224).Parameters, googlenet = Expected("googlenet", 224).Parameters;
        Assert.Equal(46_764_746, alexnet);
        Assert.Equal(128_806_154, vgg);
        Assert.Equal(1_992_166, nin);
        Assert.Equal(5_977_530, googlenet);
        // The dense layers after the last convolution hold most of AlexNet's and VGG's parameters.
        long alexnetDense = 6400L * 4096 + 4096 + 4096L * 4096 + 4096 + 4096L * 10 + 10;
        Assert.True(alexnetDense > 0.9 * alexnet);
    }

    [Fact]
    public void Reference_networks_take_67_pixels_and_not_66()
    {
        foreach (var (name, build) in ReferenceNetworks.All)
        {
            using var network = build(1, 10, ReferenceNetworks.MinimumImageSize);
            Assert.True(Count(network, ReferenceNetworks.MinimumImageSize).MultiplyAccumulates > 0, name);
        }
        using var nin = ReferenceNetworks.NiN(1, 10, ReferenceNetworks.MinimumImageSize - 1);
        Assert.ThrowsAny<Exception>(() => ComplexityCounter.Count(nin, 1, ReferenceNetworks.MinimumImageSize - 1));
    }

    private static (long Parameters, long MultiplyAccumulates) Count(TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> network, int size)
    {
        using (network)
            return ComplexityCounter.Count(network, 1, size);
    }

    /// <summary>A k×k convolution with bias from <paramref name="i"/> to <paramref name="o"/> channels, on an output grid of side <paramref name="side"/>.</summary>
    private static (long P, long M) Conv(long i, long o, long k, long side) => (i * o * k * k + o, o * side * side * i * k * k);

    private static (long P, long M) Dense(long i, long o) => (i * o + o, i * o);

    private static (long P, long M) Sum(params (long P, long M)[] layers) => (layers.Sum(l => l.P), layers.Sum(l => l.M));

    /// <summary>Output side of a window of <paramref name="k"/>, stride <paramref name="s"/>, padding <paramref name="p"/>.</summary>
    private static long Out(long side, long k, long s, long p = 0) => (side + 2 * p - k) / s + 1;

    /// <summary>Parameters and MACs of one 1-channel, 10-class network at <paramref name="size"/>×<paramref name="size"/>, from its layer table.</summary>
    internal static (long Parameters, long MultiplyAccumulates) Expected(string name, int size)
    {
        var (p, m) = name switch
        {
            "alexnet" => AlexNet(size),
            "vgg-11" => Vgg11(size),
            "nin" => NiN(size),
            "googlenet" => GoogLeNet(size),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        return (p, m);
    }

    private static (long, long) AlexNet(long s)
    {
        long c1 = Out(s, 11, 4, 1), p1 = Out(c1, 3, 2), p2 = Out(p1, 3, 2), p3 = Out(p2, 3, 2);
        return Sum(Conv(1, 96, 11, c1), Conv(96, 256, 5, p1), Conv(256, 384, 3, p2), Conv(384, 384, 3, p2), Conv(384, 256, 3, p2),
            Dense(256 * p3 * p3, 4096), Dense(4096, 4096), Dense(4096, 10));
    }

    private static (long, long) Vgg11(long s) =>
        Sum(Conv(1, 64, 3, s), Conv(64, 128, 3, s / 2), Conv(128, 256, 3, s / 4), Conv(256, 256, 3, s / 4),
            Conv(256, 512, 3, s / 8), Conv(512, 512, 3, s / 8), Conv(512, 512, 3, s / 16), Conv(512, 512, 3, s / 16),
            Dense(512 * (s / 32) * (s / 32), 4096), Dense(4096, 4096), Dense(4096, 10));

    private static (long, long) NiN(long s)
    {
        (long, long) Block(long i, long o, long k, long side) => Sum(Conv(i, o, k, side), Conv(o, o, 1, side), Conv(o, o, 1, side));
        long c1 = Out(s, 11, 4), p1 = Out(c1, 3, 2), p2 = Out(p1, 3, 2), p3 = Out(p2, 3, 2);
        return Sum(Block(1, 96, 11, c1), Block(96, 256, 5, p1), Block(256, 384, 3, p2), Block(384, 10, 3, p3));
    }

    private static (long, long) GoogLeNet(long s)
    {
        (long, long) Inception(long i, long c1, long c2a, long c2b, long c3a, long c3b, long c4, long side) => Sum(
            Conv(i, c1, 1, side), Conv(i, c2a, 1, side), Conv(c2a, c2b, 3, side), Conv(i, c3a, 1, side), Conv(c3a, c3b, 5, side),
            Conv(i, c4, 1, side));
        long c1 = Out(s, 7, 2, 3), g2 = Out(c1, 3, 2, 1), g3 = Out(g2, 3, 2, 1), g4 = Out(g3, 3, 2, 1), g5 = Out(g4, 3, 2, 1);
        return Sum(
            Conv(1, 64, 7, c1), Conv(64, 64, 1, g2), Conv(64, 192, 3, g2),
            Inception(192, 64, 96, 128, 16, 32, 32, g3), Inception(256, 128, 128, 192, 32, 96, 64, g3),
            Inception(480, 192, 96, 208, 16, 48, 64, g4), Inception(512, 160, 112, 224, 24, 64, 64, g4),
            Inception(512, 128, 128, 256, 24, 64, 64, g4), Inception(512, 112, 144, 288, 32, 64, 64, g4),
            Inception(528, 256, 160, 320, 32, 128, 128, g4),
            Inception(832, 256, 160, 320, 32, 128, 128, g5), Inception(832, 384, 192, 384, 48, 128, 128, g5),
            Dense(1024, 10));
    }
}
