using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Export;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Tests.TestData;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Featurization;

/// <summary>
/// The featurizer (<see cref="GoogLeNetCatalog.GoogLeNetFeaturizer"/>): from a model zip or a state dict, through a
/// pipeline saved and loaded back, its vectors are the network's pooled features; bad weights and pixels of another
/// size are refused saying what is wrong.
/// </summary>
public sealed class FeaturizerTests(ITestOutputHelper output) : IDisposable
{
    private const int Size = 32;
    private readonly PatternImages _images = PatternImages.Create(trainPerClass: 3, testPerClass: 0, size: Size, seed: 3);
    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-featurizer-").FullName;

    public void Dispose()
    {
        _images.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>A full-width batch-normalised network with every weight moved from its start, grayscale 32×32.</summary>
    private static GoogLeNetNetwork Network() =>
        NetworkZips.Perturbed(new GoogLeNetConfiguration(1, 4, Size, Size, Architecture: NetworkArchitecture.GoogLeNetBatchNorm), seed: 9);

    /// <summary>A model zip of <see cref="Network"/>.</summary>
    private string SaveZip()
    {
        string zip = Path.Combine(_folder, "model.zip");
        NetworkZips.Write(Network(), PatternImages.Classes, zip);
        return zip;
    }

    /// <summary>Image files → ImagePreprocessing.ForServing → the featurizer, fitted, saved and loaded back in another context.</summary>
    private (float[][] Features, float[][] Pixels) Featurize(string weights, int? imageSize = null, int? channels = null)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(_images.Train);
        var pipeline = ImagePreprocessing.ForServing(ml, Size, 1)
            .Append(ml.Transforms.GoogLeNetFeaturizer(ml, weights, imageSize: imageSize, channels: channels));
        string zip = Path.Combine(_folder, "featurizer.zip");
        using (var fitted = (IDisposable)pipeline.Fit(data))
            ml.Model.Save((ITransformer)fitted, data.Schema, zip);

        var other = new MLContext(seed: 2);
        var loaded = other.Model.Load(zip, out var schema);
        using var owned = loaded as IDisposable;
        var scored = loaded.Transform(other.Data.LoadFromEnumerable(_images.Train));
        return ([.. scored.GetColumn<float[]>(GoogLeNetColumns.ImageFeatures)], [.. scored.GetColumn<float[]>(GoogLeNetColumns.Features)]);
    }

    private void AssertPooledFeatures(GoogLeNetNetwork network, float[][] features, float[][] pixels)
    {
        Assert.Equal(_images.Train.Count, features.Length);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        network.eval();
        var input = tensor(pixels.SelectMany(p => p).ToArray(), [pixels.Length, 1, Size, Size]);
        float[] expected = network.Backbone(input).contiguous().data<float>().ToArray();
        float[] actual = [.. features.SelectMany(f => f)];
        Assert.Equal(expected.Length, actual.Length);
        Assert.Equal(network.FeatureLength, features[0].Length);
        float worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        output.WriteLine($"largest difference from the network's pooled features: {worst:G3} (they range {expected.Min():G3} … {expected.Max():G3})");
        Assert.True(worst <= 1e-4f, $"features differ by {worst:G3}");
        Assert.True(expected.Max() - expected.Min() > 0.1f, "the features hardly vary");
    }

    [Fact]
    public void From_a_model_zip_the_saved_pipeline_gives_the_network_s_pooled_features()
    {
        string zip = SaveZip();
        var imported = ModelFile.ImportNetwork(zip);
        using var network = imported.Network;

        var (features, pixels) = Featurize(zip);
        AssertPooledFeatures(network, features, pixels);
    }

    [Fact]
    public void From_a_state_dict_with_the_size_and_channels_told_it_gives_the_same()
    {
        using var network = Network();
        string weights = Path.Combine(_folder, "weights.pth");
        StateDictFile.Save(network, weights);

        var (features, pixels) = Featurize(weights, imageSize: Size, channels: 1);
        AssertPooledFeatures(network, features, pixels);
    }

    [Fact]
    public void Missing_weights_and_pixels_of_another_size_are_refused_saying_what_is_wrong()
    {
        var ml = new MLContext(seed: 1);
        string missing = Path.Combine(_folder, "missing.zip");
        var absent = Assert.Throws<InvalidOperationException>(() => ml.Transforms.GoogLeNetFeaturizer(ml, missing));
        Assert.Contains(missing, absent.Message);
        Assert.StartsWith("weights:", absent.Message);

        var featurizer = ml.Transforms.GoogLeNetFeaturizer(ml, SaveZip());
        Assert.Equal((NetworkArchitecture.GoogLeNetBatchNorm, 1, Size, 1024), (featurizer.Architecture, featurizer.ImageChannels, featurizer.ImageSize, featurizer.FeatureLength));
        var wrongSize = ImagePreprocessing.ForServing(ml, 40, 1).Fit(ml.Data.LoadFromEnumerable(_images.Train)).Transform(ml.Data.LoadFromEnumerable(_images.Train));
        var refused = Assert.Throws<ArgumentException>(() => featurizer.Fit(wrongSize));
        Assert.Contains("Feature column 'Features' holds 1600 floats per row; the featurizer's GoogLeNetBatchNorm network takes 1×32×32 = 1024", refused.Message);
    }
}
