using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Featurization;

/// <summary>
/// A pipeline of image steps, the featurizer and one of ML.NET's own trainers, saved as ML.NET saves any pipeline,
/// serves in examples/ServingApp — an application of ML.NET packages and MLNet.GoogLeNet.Serving, without TorchSharp
/// or the library — with the labels the fitted pipeline gives in the test process.
/// </summary>
public sealed class FeaturizerServingTests : IDisposable
{
    private static string ServingApp => RepositoryPaths.BuiltAssembly(Path.Combine("examples", "ServingApp"), "ServingApp");

    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-featurizer-serving-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Featurizer_and_lbfgs_pipeline_serves_in_an_app_without_torchsharp_with_the_same_labels()
    {
        string network = Path.Combine(_folder, "network.zip");
        NetworkZips.Write(
            NetworkZips.Perturbed(new GoogLeNetConfiguration(1, 4, 32, 32, WidthDivisor: 4, Architecture: NetworkArchitecture.GoogLeNetBatchNorm), seed: 5),
            PatternImages.Classes, network);

        using var images = PatternImages.Create(trainPerClass: 8, testPerClass: 2, size: 32, seed: 8);
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(images.Train);
        var pipeline = ImagePreprocessing.FromImagePaths(ml, imageSize: 32, channels: 1)
            .Append(ml.Transforms.GoogLeNetFeaturizer(ml, network))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(GoogLeNetColumns.Label, GoogLeNetColumns.ImageFeatures))
            .Append(ml.Transforms.Conversion.MapKeyToValue(GoogLeNetColumns.PredictedLabel));
        var model = pipeline.Fit(train);
        string zip = Path.Combine(_folder, "pipeline.zip");
        var expected = model.Transform(ml.Data.LoadFromEnumerable(images.Test)).GetColumn<string>(GoogLeNetColumns.PredictedLabel).ToList();
        ml.Model.Save(model, train.Schema, zip);
        (model as IDisposable)?.Dispose();

        var testImages = images.Test.Select(r => r.ImagePath).ToList();
        var result = ProcessRunner.RunDotnet(ServingApp, [zip, .. testImages], TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(testImages.Count, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            var fields = lines[i].Split('\t');
            Assert.Equal((testImages[i], expected[i]), (fields[0], fields[1]));
            Assert.Contains(fields[1], PatternImages.Classes);
        }
    }
}
