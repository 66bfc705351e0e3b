using MLNet.GoogLeNet.Export;
using MLNet.GoogLeNet.Modules;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Scoring;

/// <summary>
/// <see cref="TestTimeAugmentation"/> computed, once in TorchSharp and once as ONNX nodes, so that scoring, the
/// per-epoch test accuracy and the saved zip give the same probabilities.
/// </summary>
internal static class TestTimeScoring
{
    /// <summary>
    /// The (N, classes) probabilities of a batch on the network's device, from <paramref name="forward"/>'s logits
    /// (the network, or its head alone on backbone features). With <see cref="TestTimeAugmentation.HorizontalFlip"/> the
    /// (N, C, H, W) batch and its mirror go through the network together, which in evaluation mode gives each image the
    /// result it would get alone.
    /// </summary>
    public static Tensor Probabilities(Func<Tensor, Tensor> forward, Tensor input, TestTimeAugmentation augmentation)
    {
        if (augmentation == TestTimeAugmentation.None)
            return nn.functional.softmax(forward(input), dim: 1);
        long n = input.shape[0];
        var both = nn.functional.softmax(forward(cat([input, input.flip(3)], dim: 0)), dim: 1);
        return both.view(2, n, -1).mean([0]);
    }

    /// <summary>
    /// Emits the same computation reading <paramref name="input"/> (N, C, H, W); returns the name of the (N, classes)
    /// probabilities, named <paramref name="output"/> when given.
    /// </summary>
    public static string Emit(OnnxGraphBuilder builder, GoogLeNetNetwork network, string input, TestTimeAugmentation augmentation, string? output)
    {
        if (augmentation == TestTimeAugmentation.None)
            return OnnxExporter.EmitNetwork(builder, network, input, softmax: true, output);
        // Slice with step −1 from the last column to before the first reverses the width axis (3).
        string mirrored = builder.Node("Slice", "tta_mirror",
        [
            input,
            builder.Int64Initializer("tta_starts", [-1], 1),
            builder.Int64Initializer("tta_ends", [long.MinValue], 1),
            builder.Int64Initializer("tta_axes", [3], 1),
            builder.Int64Initializer("tta_steps", [-1], 1),
        ]);
        string both = builder.Node("Concat", "tta_concat", [input, mirrored], attributes: [OnnxGraphBuilder.Int("axis", 0)]);
        string probabilities = OnnxExporter.EmitNetwork(builder, network, both, softmax: true, outputName: null);
        string pairs = builder.Node("Reshape", "tta_pairs",
            [probabilities, builder.Int64Initializer("tta_pair_shape", [2, -1, network.Configuration.ClassCount], 3)]);
        return builder.Node("ReduceMean", "tta_mean", [pairs], output,
            [OnnxGraphBuilder.Ints("axes", [0]), OnnxGraphBuilder.Int("keepdims", 0)]);
    }
}
