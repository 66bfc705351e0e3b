using Microsoft.ML;
using MLNet.GoogLeNet.Tests.TestData;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Pipeline;

/// <summary>
/// Training on the CPU is reproducible: the MLContext seed fixes initialisation, shuffling, augmentation and dropout, so
/// two fits of the default preset, or of a network with dropout, give the same weights bit for bit (docs/reliability.md).
/// </summary>
public sealed class DeterminismTests : IDisposable
{
    private readonly PatternImages _images = PatternImages.Create(trainPerClass: 12, testPerClass: 0, size: 32, seed: 9);

    public void Dispose() => _images.Dispose();

    private GoogLeNetTransformer Fit(int seed, bool dropout = false)
    {
        var ml = new MLContext(seed);
        // The default preset as it is — batch normalisation, AdamW, one-cycle schedule, label smoothing and random
        // translations (the augmentation draws from its own seeded generator) — on a small network for 2 short epochs.
        // With dropout: torchvision's GoogLeNet and its auxiliary classifiers, whose dropout (0.2 before the head, 0.7
        // in each auxiliary classifier) draws masks in every training step.
        var options = new GoogLeNetTrainerOptions
        {
            Epochs = 2,
            BatchSize = 8,
            WidthDivisor = 16,
        };
        Assert.Equal(AugmentationKind.Translate, options.Augmentation);
        Assert.Equal(NetworkArchitecture.GoogLeNetBatchNorm, options.Architecture);
        if (dropout)
        {
            options.Architecture = NetworkArchitecture.GoogLeNetTorchvision;
            options.TrainAuxiliaryClassifiers = true;
        }
        var model = PatternImages.Preprocessing(ml, 32)
            .Append(ml.MulticlassClassification.Trainers.GoogLeNet(ml, options))
            .Fit(ml.Data.LoadFromEnumerable(_images.Train));
        return ((IEnumerable<ITransformer>)model).OfType<GoogLeNetTransformer>().Single();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Same_seed_gives_identical_weights_and_another_seed_does_not(bool dropout)
    {
        var first = Fit(seed: 21, dropout);
        var second = Fit(seed: 21, dropout);
        Assert.Equal(TorchSharp.DeviceType.CPU, first.Device.type);
        var a = first.Network.named_parameters().ToList();
        var b = second.Network.named_parameters().ToList();
        Assert.Equal(a.Select(p => p.name), b.Select(p => p.name));
        Assert.True(a.Count > 50, $"only {a.Count} parameters");
        foreach (var ((name, x), (_, y)) in a.Zip(b))
            Assert.True(Identical(x, y), $"{name} differs between two fits with seed 21: largest difference {MaxDifference(x, y)}");
        var bufferPairs = first.Network.named_buffers().Zip(second.Network.named_buffers());
        foreach (var ((name, x), (_, y)) in bufferPairs)
            Assert.True(Identical(x, y), $"buffer {name} differs between two fits with seed 21");
        Assert.Equal(first.TrainingHistory.Select(e => e.Loss), second.TrainingHistory.Select(e => e.Loss));

        // The comparison can fail: a third fit with another seed starts elsewhere and ends elsewhere.
        var other = Fit(seed: 22, dropout);
        var c = other.Network.named_parameters().ToList();
        int differing = a.Zip(c).Count(p => !Identical(p.First.parameter, p.Second.parameter));
        Assert.True(differing > a.Count / 2, $"only {differing} of {a.Count} parameters differ with another seed");
    }

    /// <summary>Same shape and every element equal, bit for bit up to the sign of zero.</summary>
    private static bool Identical(Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        return x.shape.SequenceEqual(y.shape) && x.eq(y).all().item<bool>();
    }

    private static float MaxDifference(Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        return (x - y).abs().max().item<float>();
    }
}
