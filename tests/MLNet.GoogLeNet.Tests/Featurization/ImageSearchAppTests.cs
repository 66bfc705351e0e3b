using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Featurization;

/// <summary>
/// examples/ImageSearch in a process of its own, with ML.NET and ONNX Runtime only: the featurizer zip that
/// <c>googlenet export --featurizer</c> writes finds, for an image of the folder, that image first.
/// </summary>
public sealed class ImageSearchAppTests : IDisposable
{
    private static string ImageSearch => RepositoryPaths.BuiltAssembly(Path.Combine("examples", "ImageSearch"), "ImageSearch");

    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-search-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void The_nearest_image_to_an_image_of_the_folder_is_itself_without_torchsharp()
    {
        Assert.True(File.Exists(ImageSearch), $"{ImageSearch} was not built");
        string appFolder = Path.GetDirectoryName(ImageSearch)!;
        Assert.Empty(Directory.GetFiles(appFolder, "*Torch*", SearchOption.AllDirectories));
        Assert.False(File.Exists(Path.Combine(appFolder, "MLNet.GoogLeNet.dll")));

        string model = Path.Combine(_folder, "model.zip");
        NetworkZips.Write(
            NetworkZips.Perturbed(new GoogLeNetConfiguration(1, 4, 32, 32, WidthDivisor: 4, Architecture: NetworkArchitecture.GoogLeNetBatchNorm), seed: 4),
            PatternImages.Classes, model);
        string featurizer = Path.Combine(_folder, "featurizer.zip");
        var (exit, text) = CliRunner.Run("export", "--model", model, "--featurizer", featurizer);
        Assert.True(exit == 0, text);
        Assert.Contains($"featurizer: {featurizer} — input 'ImagePath' (image file paths), output 'ImageFeatures' (256 floats per image)", text);

        using var images = PatternImages.Create(trainPerClass: 4, testPerClass: 0, size: 32, seed: 6);
        foreach (var query in new[] { images.Train[1].ImagePath, images.Train[^1].ImagePath })
        {
            var result = ProcessRunner.RunDotnet(ImageSearch, [featurizer, images.Root, query, "--top", "3"], TimeSpan.FromMinutes(2));
            Assert.True(result.ExitCode == 0, result.Output + result.Error);
            var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(3, lines.Length);
            var best = lines[0].Split('\t');
            Assert.Equal(query, best[1]);
            Assert.True(double.Parse(best[0], System.Globalization.CultureInfo.InvariantCulture) >= 0.9999, lines[0]);
            Assert.NotEqual(query, lines[1].Split('\t')[1]);
        }

        var missing = ProcessRunner.RunDotnet(ImageSearch, [featurizer, images.Root, Path.Combine(_folder, "none.png")], TimeSpan.FromMinutes(1));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("Query image", missing.Error);
    }
}
