using MLNet.GoogLeNet.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Interpretation;

/// <summary>
/// Grad-CAM (Selvaraju et al. 2017) on the last feature map before global pooling
/// (<see cref="GoogLeNetNetwork.LastFeatureMap"/>): each channel of the map is weighted by the mean gradient of the
/// explained class's logit over it, the weighted channels summed, negative values cut (ReLU), the map scaled
/// bilinearly to the requested size and divided by its maximum, so that 1 marks the strongest evidence for the class.
/// The explained class is the one with the highest probability of the image as it is: a model scored with
/// <see cref="TestTimeAugmentation.HorizontalFlip"/> is explained on the unmirrored view alone, so its explained class
/// and probabilities can differ from its <c>Score</c>, which averages in the mirror. Gradient mode is switched on for this thread
/// only, for the head alone (the trunk runs without gradients), and no parameter's gradient is touched.
/// </summary>
internal static class GradCam
{
    /// <summary>
    /// Explains <paramref name="count"/> planar images held in <paramref name="features"/> (C×H×W each, the network's
    /// input), each heatmap at the size given in <paramref name="sizes"/>.
    /// </summary>
    public static List<ImageExplanation> Explain(GoogLeNetNetwork network, Device device, float[] features, int count,
        IReadOnlyList<(int Width, int Height)> sizes, IReadOnlyList<string> classNames, int top)
    {
        var c = network.Configuration;
        using var scope = NewDisposeScope();
        var input = tensor(features, [count, c.InputChannels, c.ImageHeight, c.ImageWidth]).to(device);
        Tensor map;
        using (no_grad())
            map = network.LastFeatureMap(input);
        map = map.detach().requires_grad_(true);
        Tensor logits, gradient;
        using (enable_grad())
        {
            logits = network.HeadFromFeatureMap(map);
            var explained = logits.argmax(1, keepdim: true);
            var selected = logits.gather(1, explained).sum();
            gradient = autograd.grad([selected], [map])[0];
        }
        using (no_grad())
        {
            var weights = gradient.mean([2, 3], keepdim: true);
            var cam = nn.functional.relu((weights * map.detach()).sum(1, keepdim: true));  // (N, 1, h, w)
            var probabilities = nn.functional.softmax(logits.detach(), dim: 1).to(CPU).contiguous();
            var probabilityValues = probabilities.data<float>().ToArray();
            var result = new List<ImageExplanation>(count);
            for (int i = 0; i < count; i++)
            {
                var (width, height) = sizes[i];
                var scaled = nn.functional.interpolate(cam.narrow(0, i, 1), [height, width], mode: InterpolationMode.Bilinear, align_corners: false);
                var peak = scaled.max().item<float>();
                var heatmap = (peak > 0 ? scaled / peak : scaled).to(CPU).contiguous().data<float>().ToArray();
                var row = probabilityValues.AsSpan(i * classNames.Count, classNames.Count).ToArray();
                result.Add(new ImageExplanation(width, height, heatmap, classNames, row, top));
            }
            return result;
        }
    }
}
