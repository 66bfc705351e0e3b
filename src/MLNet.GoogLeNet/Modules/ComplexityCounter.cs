using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// The size of a network and the arithmetic of scoring one image: parameters, and multiply-accumulates (MACs) of
/// its convolutions and dense layers, found by running one zero image through it and reading each layer's output
/// shape. A convolution's output value costs (input channels ÷ groups) × kernel height × kernel width MACs; a dense
/// layer's costs its input width. Biases, normalisation (which ONNX Runtime folds into the convolutions when scoring), activations,
/// pooling, additions and the softmax are not counted: together they are a small fraction of the total.
/// </summary>
internal static class ComplexityCounter
{
    /// <summary>Parameters and MACs per image of <paramref name="network"/> on inputs of <paramref name="channels"/>×<paramref name="size"/>×<paramref name="size"/>.</summary>
    public static (long Parameters, long MultiplyAccumulates) Count(nn.Module<Tensor, Tensor> network, int channels, int size) =>
        Count(network, channels, size, size);

    /// <summary>Parameters and MACs per image of <paramref name="network"/> on inputs of <paramref name="channels"/>×<paramref name="height"/>×<paramref name="width"/>.</summary>
    public static (long Parameters, long MultiplyAccumulates) Count(nn.Module<Tensor, Tensor> network, int channels, int height, int width)
    {
        long macs = 0;
        var removers = new List<Action>();
        static long PerOutput(Conv2d conv) => conv.in_channels / conv.groups * conv.kernel_size.Aggregate(1L, (a, k) => a * k);
        // A ConvUnit is counted by its own output (the convolution's shape), since where oneDNN is avoided its Conv2d
        // module does not run (ConvolutionFault); a Conv2d outside a unit (the reference networks) by the module's.
        var inUnits = network.modules().OfType<ConvUnit>().Select(unit => unit.Convolution).ToHashSet();
        foreach (var (_, module) in network.named_modules())
        {
            switch (module)
            {
                case ConvUnit unit:
                    long perUnitOutput = PerOutput(unit.Convolution);
                    var unitHook = unit.register_forward_hook((_, _, output) => { macs += output.numel() * perUnitOutput; return output; });
                    removers.Add(unitHook.remove);
                    break;
                case Conv2d conv when !inUnits.Contains(conv):
                    long perOutput = PerOutput(conv);
                    var convHook = conv.register_forward_hook((_, _, output) => { macs += output.numel() * perOutput; return output; });
                    removers.Add(convHook.remove);
                    break;
                case Linear linear:
                    var linearHook = linear.register_forward_hook((_, _, output) => { macs += output.numel() * linear.in_features; return output; });
                    removers.Add(linearHook.remove);
                    break;
            }
        }
        bool wasTraining = network.training;
        network.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            // Channels-last, so that the reference networks' plain convolutions run as the library's do (ConvolutionLayout).
            network.call(ConvolutionLayout.ToChannelsLast(zeros(1, channels, height, width)));
        }
        finally
        {
            network.train(wasTraining);
            foreach (var remove in removers)
                remove();
        }
        return (network.parameters().Sum(p => p.numel()), macs);
    }
}
