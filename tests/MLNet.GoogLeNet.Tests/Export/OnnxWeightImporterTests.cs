using Google.Protobuf;
using MLNet.GoogLeNet.Export;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Tests.TestData;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Export;

/// <summary>The network rebuilt from a saved model zip scores as the one that was saved, and keeps its weights.</summary>
public sealed class OnnxWeightImporterTests : IDisposable
{
    private static readonly string[] Classes = ["ankle boot", "bag", "coat"];
    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-import-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static GoogLeNetConfiguration Small(NetworkArchitecture architecture) =>
        new(InputChannels: 3, ClassCount: Classes.Length, ImageHeight: 40, ImageWidth: 36, WidthDivisor: 8, architecture);

    private string SaveZip(NetworkArchitecture architecture, out GoogLeNetTransformer model, ulong seed = 3)
    {
        var (transformer, input) = NetworkZips.Transformer(NetworkZips.Perturbed(Small(architecture), seed), Classes);
        string path = Path.Combine(_folder, $"{architecture}.zip");
        NetworkZips.Save(transformer, input, path);
        model = transformer;
        return path;
    }

    [Fact]
    public void Plain_network_comes_back_with_every_weight_equal_and_the_same_logits()
    {
        string path = SaveZip(NetworkArchitecture.GoogLeNet, out var model);
        using (model)
        {
            var imported = ModelFile.ImportNetwork(path);
            using var network = imported.Network;
            Assert.Equal(model.Network.Configuration, network.Configuration);
            Assert.Equal(Classes, imported.ClassNames);
            Assert.Equal(NetworkZips.FeatureColumn, imported.FeatureColumnName);

            var original = model.Network.state_dict();
            var rebuilt = network.state_dict();
            Assert.Equal(original.Keys.Order(), rebuilt.Keys.Order());
            foreach (var (name, value) in original)
                Assert.True(value.eq(rebuilt[name]).all().item<bool>(), $"weight '{name}' differs after import");

            using var input = rand([5, 3, 40, 36], generator: new Generator(9));
            OnnxExporterTests.AssertClose(NetworkZips.Logits(model.Network, input), NetworkZips.Logits(network, input), 1e-4f, "plain logits");
        }
    }

    [Fact]
    public void Batch_normalised_network_comes_back_with_its_statistics_and_the_same_logits()
    {
        string path = SaveZip(NetworkArchitecture.GoogLeNetBatchNorm, out var model);
        using (model)
        {
            var imported = ModelFile.ImportNetwork(path);
            using var network = imported.Network;
            Assert.Equal(model.Network.Configuration, network.Configuration);
            Assert.False(network.training);

            // Every parameter and running statistic comes back bit for bit (the counter of training steps is not saved).
            var original = model.Network.state_dict();
            var rebuilt = network.state_dict();
            Assert.Equal(original.Keys.Order(), rebuilt.Keys.Order());
            var statistics = original.Keys.Where(k => k.Contains(".bn.running_", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(statistics);
            Assert.Contains(statistics, k => original[k].sub(k.EndsWith("var", StringComparison.Ordinal) ? 1 : 0).abs().max().item<float>() > 0.01f);
            foreach (var (key, value) in original.Where(p => !p.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal)))
                Assert.True(value.eq(rebuilt[key]).all().item<bool>(), $"{key} differs after the zip");

            using var input = rand([5, 3, 40, 36], generator: new Generator(9));
            var expected = NetworkZips.Logits(model.Network, input);
            var actual = NetworkZips.Logits(network, input);
            OnnxExporterTests.AssertClose(expected, actual, 1e-4f, "batch-normalised logits");
            Assert.True(expected.Select(Math.Abs).Max() > 0.1f, "the logits are too small for the comparison to mean anything");
        }
    }

    [Fact]
    public void A_graph_without_its_description_is_refused_naming_what_is_missing()
    {
        var (model, _) = NetworkZips.Transformer(NetworkZips.Perturbed(Small(NetworkArchitecture.GoogLeNet), seed: 5), Classes);
        using (model)
        {
            var serving = model.BuildServingModel();
            serving.MetadataProps.Clear();
            var error = Assert.Throws<InvalidDataException>(() => OnnxWeightImporter.Import(serving, "Model file 'x.zip'"));
            Assert.Contains("Model file 'x.zip': the ONNX model does not describe its network", error.Message);
            Assert.Contains(NetworkMetadata.ArchitectureKey, error.Message);

            var described = model.BuildServingModel();
            described.MetadataProps.Remove(described.MetadataProps.Single(e => e.Key == NetworkMetadata.ClassNamesKey));
            error = Assert.Throws<InvalidDataException>(() => OnnxWeightImporter.Import(described, "Model file 'x.zip'"));
            Assert.Contains($"lacks '{NetworkMetadata.ClassNamesKey}'", error.Message);
        }
    }

    [Fact]
    public void Metadata_that_disagrees_with_the_weights_is_reported_with_the_weight_name()
    {
        var (model, _) = NetworkZips.Transformer(NetworkZips.Perturbed(Small(NetworkArchitecture.GoogLeNet), seed: 5), Classes);
        using (model)
        {
            var serving = model.BuildServingModel();
            serving.MetadataProps.Single(e => e.Key == NetworkMetadata.WidthDivisorKey).Value = "4";
            var error = Assert.Throws<InvalidDataException>(() => OnnxWeightImporter.Import(serving, "Model file 'x.zip'"));
            Assert.Contains("Model file 'x.zip'", error.Message);
            Assert.Contains("'b1.conv.conv.weight' has shape (8, 3, 7, 7); the rebuilt network needs (16, 3, 7, 7)", error.Message);
        }
    }

    [Fact]
    public void A_file_that_is_not_a_model_zip_is_named_in_the_error()
    {
        string notZip = Path.Combine(_folder, "notes.zip");
        File.WriteAllText(notZip, "not a zip");
        var error = Assert.Throws<InvalidDataException>(() => ModelFile.ImportNetwork(notZip));
        Assert.Contains(notZip, error.Message);
        Assert.Throws<FileNotFoundException>(() => ModelFile.ImportNetwork(Path.Combine(_folder, "missing.zip")));
    }

    [Fact]
    public void A_zip_without_a_googlenet_is_refused_clearly()
    {
        string path = Path.Combine(_folder, "other.zip");
        using (var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Create))
            zip.CreateEntry("Schema");
        var error = Assert.Throws<InvalidDataException>(() => ModelFile.ImportNetwork(path));
        Assert.Equal($"Model file '{path}' holds no GoogLeNet network saved by MLNet.GoogLeNet.", error.Message);
    }
}
