using MLNet.GoogLeNet.Modules;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Modules;

public class InceptionTests
{
    [Theory]
    [InlineData(192, 64, 96, 128, 16, 32, 32)]    // b3, first block: 256 channels
    [InlineData(480, 192, 96, 208, 16, 48, 64)]   // b4, first block: 512 channels
    [InlineData(832, 384, 192, 384, 48, 128, 128)] // b5, last block: 1024 channels
    [InlineData(3, 1, 1, 1, 1, 1, 1)]
    [InlineData(5, 7, 2, 3, 4, 5, 6)]
    public void Output_channels_are_c1_plus_c2b_plus_c3b_plus_c4_and_size_is_kept(
        int inputChannels, int c1, int c2a, int c2b, int c3a, int c3b, int c4)
    {
        var channels = new InceptionChannels(c1, c2a, c2b, c3a, c3b, c4);
        using var block = new Inception("block", inputChannels, channels);
        using var scope = NewDisposeScope();
        var output = block.call(randn(2, inputChannels, 7, 5));
        Assert.Equal([2L, c1 + c2b + c3b + c4, 7, 5], output.shape);
        Assert.Equal(c1 + c2b + c3b + c4, channels.OutputChannels);
    }

    [Fact]
    public void Every_path_ends_in_a_relu_so_the_output_is_never_negative()
    {
        using var block = new Inception("block", 4, new InceptionChannels(3, 2, 3, 2, 3, 3));
        using var scope = NewDisposeScope();
        var output = block.call(randn(3, 4, 6, 6));
        Assert.True(output.min().item<float>() >= 0);
        Assert.True(output.max().item<float>() > 0);
    }

    [Theory]
    [InlineData(0, 1, 1, 1, 1, 1, "c1")]
    [InlineData(1, -1, 1, 1, 1, 1, "c2a")]
    [InlineData(1, 1, 0, 1, 1, 1, "c2b")]
    [InlineData(1, 1, 1, 0, 1, 1, "c3a")]
    [InlineData(1, 1, 1, 1, 0, 1, "c3b")]
    [InlineData(1, 1, 1, 1, 1, -4, "c4")]
    public void Non_positive_channel_counts_are_rejected(int c1, int c2a, int c2b, int c3a, int c3b, int c4, string name)
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new Inception("block", 8, new InceptionChannels(c1, c2a, c2b, c3a, c3b, c4)));
        Assert.Equal("channels", error.ParamName);
        Assert.Contains(name, error.Message);
    }

    [Fact]
    public void Non_positive_input_channels_are_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new Inception("block", 0, new InceptionChannels(1, 1, 1, 1, 1, 1)));
        Assert.Equal("inputChannels", error.ParamName);
    }
}
