using System.Buffers.Binary;
using System.IO.Compression;
using Google.Protobuf;
using MLNet.GoogLeNet.Export;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Export;

/// <summary>
/// Model zips whose ONNX metadata announces another network than the graph holds, or whose ONNX entry is larger than
/// the importer reads: each is refused before a network is built from it, naming the file and what is wrong, with the
/// memory allocated on the reading thread bounded.
/// </summary>
public sealed class HostileModelZipTests : IDisposable
{
    private static readonly string[] Classes = ["ankle boot", "bag", "coat"];

    /// <summary>Reading the small zip's entry and parsing it allocates a few megabytes; far below what is announced.</summary>
    private const long AllocationBound = 32 << 20;

    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-hostile-zip-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A model zip of a small network whose ONNX metadata then gets <paramref name="changes"/>.</summary>
    private string Zip(string name, params (string Key, string Value)[] changes)
    {
        var configuration = new GoogLeNetConfiguration(InputChannels: 1, ClassCount: Classes.Length, ImageHeight: 32, ImageWidth: 32, WidthDivisor: 16);
        var (model, input) = NetworkZips.Transformer(NetworkZips.Perturbed(configuration, 3), Classes);
        string path = Path.Combine(_folder, name);
        using (model)
            NetworkZips.Save(model, input, path);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        var entry = zip.Entries.Single(e => e.Name == "OnnxModel");
        byte[] bytes;
        using (var stream = entry.Open())
        using (var copy = new MemoryStream())
        {
            stream.CopyTo(copy);
            bytes = copy.ToArray();
        }
        var onnx = Onnx.ModelProto.Parser.ParseFrom(bytes.AsSpan(4));
        foreach (var (key, value) in changes)
            onnx.MetadataProps.Single(p => p.Key == key).Value = value;
        byte[] changed = onnx.ToByteArray();
        string fullName = entry.FullName;
        entry.Delete();
        using var writer = new BinaryWriter(zip.CreateEntry(fullName).Open());
        writer.Write(changed.Length);
        writer.Write(changed);
        return path;
    }

    private static InvalidDataException Refused(string path, out long allocated)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => ModelFile.ImportNetwork(path));
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        return error;
    }

    [Fact]
    public void A_zip_claiming_100_million_classes_is_refused_before_the_network_is_built()
    {
        // The dense layer of 100,000,000 classes would be 64 × 10^8 floats: 25.6 GB.
        string path = Zip("hundred-million.zip", (NetworkMetadata.ClassCountKey, "100000000"));

        var error = Refused(path, out long allocated);

        Assert.Equal($"Model file '{path}': the ONNX metadata announces 100000000 classes ({NetworkMetadata.ClassCountKey}) but names 3 " +
                     $"({NetworkMetadata.ClassNamesKey}): the file is damaged.", error.Message);
        Assert.True(allocated < AllocationBound, $"the import allocated {allocated:N0} bytes");
    }

    [Fact]
    public void A_class_count_and_names_that_agree_with_each_other_but_not_with_the_dense_weight_are_refused()
    {
        string path = Zip("four-classes.zip", (NetworkMetadata.ClassCountKey, "4"), (NetworkMetadata.ClassNamesKey, "[\"a\",\"b\",\"c\",\"d\"]"));

        var error = Refused(path, out long allocated);

        Assert.Equal($"Model file '{path}': the ONNX metadata announces 4 classes ({NetworkMetadata.ClassCountKey}) but its dense weight " +
                     "'dense.weight' has shape (3, 64), one row per class: the file is damaged.", error.Message);
        Assert.True(allocated < AllocationBound, $"the import allocated {allocated:N0} bytes");
    }

    [Fact]
    public void An_image_size_the_graph_input_does_not_have_is_refused()
    {
        string path = Zip("large-images.zip", (NetworkMetadata.ImageHeightKey, "1024"), (NetworkMetadata.ImageWidthKey, "1024"));

        var error = Refused(path, out _);

        Assert.Equal($"Model file '{path}': the ONNX metadata announces 1×1024×1024 images (C×H×W) but the graph's input " +
                     $"'{NetworkZips.FeatureColumn}' is (N, 1, 32, 32): the file is damaged.", error.Message);
    }

    [Fact]
    public void An_onnx_entry_larger_than_the_importer_reads_is_refused_before_it_is_read()
    {
        string path = Path.Combine(_folder, "oversized.zip");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            // 300 MiB announced, a few hundred kilobytes on disk: zeros deflate to almost nothing.
            using var entry = zip.CreateEntry("Model/OnnxModel", CompressionLevel.Optimal).Open();
            var block = new byte[1 << 20];
            BinaryPrimitives.WriteInt32LittleEndian(block, 300 << 20);
            entry.Write(block);
            Array.Clear(block);
            for (int i = 1; i < 300; i++)
                entry.Write(block);
        }
        Assert.True(new FileInfo(path).Length < 4 << 20);

        var error = Refused(path, out long allocated);

        Assert.Contains($"Model file '{path}': the ONNX model in 'Model/OnnxModel' takes more than 256 MiB, the most the importer reads", error.Message);
        Assert.True(allocated < AllocationBound, $"the import allocated {allocated:N0} bytes");
    }

    [Fact]
    public void The_unchanged_zip_imports_with_its_classes()
    {
        string path = Zip("unchanged.zip");
        var imported = ModelFile.ImportNetwork(path);
        using var network = imported.Network;
        Assert.Equal(Classes, imported.ClassNames);
        Assert.Equal(3, network.Configuration.ClassCount);
    }
}
