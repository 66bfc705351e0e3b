using MLNet.GoogLeNet.Interpretation;
using MLNet.GoogLeNet.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Interpretation;

/// <summary>
/// Grad-CAM on every architecture of the table: the split of the network at its last feature map gives the network's
/// own probabilities, and the heatmap equals the class activation map computed independently from the dense layer's
/// weights (for global average pooling followed by one linear layer, Grad-CAM's channel weights are the dense weights
/// of the class divided by the map's area, so the normalised maps agree).
/// </summary>
public sealed class GradCamTests
{
    public static TheoryData<NetworkArchitecture> Architectures() => [.. ArchitectureTable.All.Select(e => e.Architecture)];

    [Theory]
    [MemberData(nameof(Architectures))]
    public void The_heatmap_is_the_class_activation_map_of_the_last_stage(NetworkArchitecture architecture)
    {
        const int count = 3, classes = 5;
        // Twice the smallest size or more, so that the last feature map is more than 1×1 (3×3 for inception-v3-torchvision at 150).
        int size = Math.Max(96, 2 * ArchitectureTable.Of(architecture).MinimumImageSize);
        using var network = new GoogLeNetNetwork(new GoogLeNetConfiguration(1, classes, size, size, WidthDivisor: 8, Architecture: architecture), seed: 4);
        network.eval();
        var random = new Random(7);
        var features = Enumerable.Range(0, count * size * size).Select(_ => (float)random.NextDouble()).ToArray();
        string[] names = ["a", "b", "c", "d", "e"];

        using var scope = NewDisposeScope();
        var input = tensor(features, [count, 1, size, size]);
        Tensor map, expectedProbabilities;
        using (no_grad())
        {
            map = network.LastFeatureMap(input);
            expectedProbabilities = nn.functional.softmax(network.call(input), 1);
        }
        int h = (int)map.shape[2], w = (int)map.shape[3];
        Assert.True(h * w > 1, $"{architecture}: the last feature map is {h}×{w} at {size}×{size}");
        var sizes = Enumerable.Repeat((w, h), count).ToList();
        var explanations = GradCam.Explain(network, CPU, features, count, sizes, names, top: 2);

        var dense = network.HeadLayer.weight!;
        for (int i = 0; i < count; i++)
        {
            var probabilities = expectedProbabilities[i].data<float>().ToArray();
            Assert.Equal(probabilities, explanations[i].Probabilities.ToArray(), (a, b) => Math.Abs(a - b) < 1e-5);
            int predicted = Array.IndexOf(probabilities, probabilities.Max());
            Assert.Equal(names[predicted], explanations[i].ExplainedClass);
            Assert.Equal(2, explanations[i].TopClasses.Count);
            Assert.Equal(names[predicted], explanations[i].TopClasses[0].ClassName);

            using var cam = nn.functional.relu(torch.einsum("k,khw->hw", dense[predicted].detach(), map[i]));
            float peak = cam.max().item<float>();
            var expected = (peak > 0 ? cam / peak : cam).contiguous().data<float>().ToArray();
            Assert.Equal(w, explanations[i].Width);
            Assert.Equal(h, explanations[i].Height);
            var actual = explanations[i].Heatmap.ToArray();
            for (int p = 0; p < expected.Length; p++)
                Assert.True(Math.Abs(expected[p] - actual[p]) < 1e-4, $"{architecture}, image {i}, cell {p}: {actual[p]} != CAM {expected[p]}");
            Assert.Equal(1f, actual.Max(), 1e-6);  // a random network still has some positive evidence somewhere
        }
        Assert.All(network.parameters(), p => Assert.True(p.grad is null, "Grad-CAM left a gradient on a parameter"));
    }

    [Fact]
    public void The_heatmap_is_scaled_to_the_requested_size_and_stays_between_0_and_1()
    {
        using var network = new GoogLeNetNetwork(new GoogLeNetConfiguration(1, 3, 64, 64, WidthDivisor: 8), seed: 2);
        network.eval();
        var features = Enumerable.Range(0, 64 * 64).Select(i => (i % 7) / 7f).ToArray();
        var explanation = Assert.Single(GradCam.Explain(network, CPU, features, 1, [(50, 30)], ["x", "y", "z"], top: 5));
        Assert.Equal(50, explanation.Width);
        Assert.Equal(30, explanation.Height);
        Assert.Equal(50 * 30, explanation.Heatmap.Length);
        Assert.All(explanation.Heatmap.ToArray(), v => Assert.InRange(v, 0f, 1f));
        Assert.Equal(3, explanation.TopClasses.Count);  // at most every class
        Assert.Equal(1f, explanation.Probabilities.Sum(), 1e-5);
    }
}
