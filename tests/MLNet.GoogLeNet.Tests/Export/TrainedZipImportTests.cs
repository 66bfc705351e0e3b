using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Tests.TestData;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Export;

/// <summary>The network rebuilt from the zip of a trained pipeline (image transforms, GoogLeNet, key mapping) scores as the trainer did.</summary>
[Collection(TrainedPatternModel.Collection)]
public sealed class TrainedZipImportTests(TrainedPatternModel fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-import-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Rebuilt_network_gives_the_trainers_scores_on_the_test_images()
    {
        string path = Path.Combine(_folder, "model.zip");
        ModelFile.Save(fixture.Context, fixture.Model, fixture.TrainData.Schema, path);
        var imported = ModelFile.ImportNetwork(path);
        using var network = imported.Network;
        Assert.Equal(PatternImages.Classes, imported.ClassNames);
        Assert.Equal(fixture.GoogLeNet.Network.Configuration, network.Configuration);

        var scored = fixture.Model.Transform(fixture.TestData);
        var features = scored.GetColumn<float[]>(imported.FeatureColumnName).ToList();
        var expected = scored.GetColumn<float[]>("Score").SelectMany(s => s).ToArray();
        var c = network.Configuration;
        using var input = tensor(features.SelectMany(f => f).ToArray(), [features.Count, c.InputChannels, c.ImageHeight, c.ImageWidth]);
        float[] actual;
        using (no_grad())
        using (NewDisposeScope())
            actual = nn.functional.softmax(network.call(input), 1).data<float>().ToArray();
        OnnxExporterTests.AssertClose(expected, actual, 1e-4f, "scores of the rebuilt network");
    }
}
