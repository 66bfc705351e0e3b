using System.Globalization;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.IO;

/// <summary>
/// Refuses weights read from a file that are not numbers. A NaN or infinite weight comes from a run that diverged (or
/// from a damaged file); loaded, it makes every score NaN, and a run started from it stops on its first step saying to
/// lower the learning rate, which is not the problem. Every reader of weights — state-dict and safetensors files,
/// checkpoints, the ONNX network of a model zip — checks each tensor here as it reads it.
/// </summary>
internal static class FiniteWeights
{
    /// <summary>Nothing when <paramref name="tensor"/> is not of a floating-point type or holds only finite values.</summary>
    /// <param name="tensor">A tensor as read; left as it is.</param>
    /// <param name="key">Its name in the file: the state-dict key, or the ONNX initializer's name.</param>
    /// <param name="source">The file, as the reader's other messages name it.</param>
    /// <exception cref="InvalidDataException">Some value is NaN or infinite; the message names the file, the key, how many and where the first is.</exception>
    public static void Check(Tensor tensor, string key, string source)
    {
        if (!tensor.is_floating_point() || tensor.numel() == 0)
            return;
        using var scope = NewDisposeScope();
        var finite = isfinite(tensor);
        if (finite.all().item<bool>())
            return;
        long nan = isnan(tensor).sum().item<long>();
        long infinite = isinf(tensor).sum().item<long>();
        long first = logical_not(finite).flatten().nonzero()[0, 0].item<long>();
        string counts = string.Create(CultureInfo.InvariantCulture,
            $"{nan} NaN and {infinite} infinite value(s) among its {tensor.numel()} (the first at flat index {first})");
        throw new InvalidDataException(
            $"{source}: the weight '{key}' holds {counts}. Weights that are not numbers cannot be trained or scored; they come " +
            "from a run that diverged or a damaged file: start from an earlier checkpoint or export the weights again.");
    }
}
