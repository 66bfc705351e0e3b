using System.IO.Compression;
using System.Text;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Training;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Training;

/// <summary>
/// Checkpoints whose tensor archive announces more than the file holds: each is refused before anything is allocated
/// for what it announces, with a message that names the file and what is wrong, and reading it allocates a bounded
/// amount of memory (measured on the reading thread).
/// </summary>
public sealed class HostileCheckpointTests : IDisposable
{
    /// <summary>What opening the zip and reading its manifest may allocate; far below any of the announced sizes.</summary>
    private const long AllocationBound = 8 << 20;

    private readonly string _work = Directory.CreateTempSubdirectory("googlenet-hostile-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    /// <summary>A good manifest, of a small network of four classes at its start.</summary>
    private static CheckpointManifest Manifest() => new()
    {
        Position = TrainingPosition.Beginning(40),
        Reports = [],
        OptimizerSteps = [],
        Network = new GoogLeNetConfiguration(1, 4, 32, 32, WidthDivisor: 16),
        Classes = ["a", "b", "c", "d"],
        Options = new Dictionary<string, string> { ["Seed"] = "3" },
    };

    /// <summary>A checkpoint with a good manifest whose tensors.bin is what <paramref name="archive"/> writes.</summary>
    private string Write(string name, Action<BinaryWriter> archive)
    {
        var manifest = Manifest();
        string path = Path.Combine(_work, name);
        Checkpoint.Write(path, manifest, []);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        zip.GetEntry("tensors.bin")!.Delete();
        using var writer = new BinaryWriter(zip.CreateEntry("tensors.bin", CompressionLevel.NoCompression).Open(), Encoding.UTF8);
        writer.Write("MLNet.GoogLeNet tensors 1");
        archive(writer);
        return path;
    }

    private static void Header(BinaryWriter writer, string name, int dimensions, params long[] shape)
    {
        writer.Write(1);
        writer.Write(name);
        writer.Write((int)ScalarType.Float32);
        writer.Write(dimensions);
        foreach (long size in shape)
            writer.Write(size);
    }

    public static TheoryData<string, string> Cases => new()
    {
        // 65536 × 65536 floats: 16 GiB announced by a tensors.bin of 71 bytes.
        { "huge-shape", "tensor 'b3.0.weight' announces shape [65536…], more elements than the" },
        // A shape of 10 floats, 40 bytes, of which the file holds 20.
        { "short-data", "tensor 'b3.0.weight' announces 40 bytes but the file has 20 left" },
        { "negative-dimensions", "tensor 'b3.0.weight' announces -1 dimensions" },
        { "negative-size", "tensor 'b3.0.weight' announces shape [-4…]" },
        { "huge-count", "it announces 2147483647 tensors but the file has 0 bytes left" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_checkpoint_announcing_more_than_it_holds_is_refused_naming_the_file_before_allocating(string kind, string expected)
    {
        string path = Write(kind + ".ckpt", writer =>
        {
            switch (kind)
            {
                case "huge-shape":
                    Header(writer, "b3.0.weight", 2, 65536, 65536);
                    writer.Write(65536L * 65536 * 4);
                    break;
                case "short-data":
                    Header(writer, "b3.0.weight", 1, 10);
                    writer.Write(40L);
                    for (int i = 0; i < 5; i++)
                        writer.Write(1f);
                    break;
                case "negative-dimensions":
                    Header(writer, "b3.0.weight", -1);
                    break;
                case "negative-size":
                    Header(writer, "b3.0.weight", 1, -4);
                    writer.Write(16L);
                    break;
                case "huge-count":
                    writer.Write(int.MaxValue);
                    break;
            }
        });
        using (var zip = ZipFile.OpenRead(path))
            Assert.True(zip.GetEntry("tensors.bin")!.Length < 100);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Read(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.StartsWith($"Checkpoint '{path}' is damaged: ", error.Message);
        Assert.Contains(expected, error.Message);
        Assert.True(allocated < AllocationBound, $"reading the hostile checkpoint allocated {allocated:N0} bytes");

        // Fit reports it for ResumeFrom as the same message, naming the option.
        var refused = Assert.Throws<InvalidOperationException>(() => GoogLeNetTrainer.ReadCheckpoint(path, nameof(GoogLeNetTrainerOptions.ResumeFrom)));
        Assert.StartsWith($"ResumeFrom: Checkpoint '{path}' is damaged", refused.Message);
    }

    [Fact]
    public void A_compressed_tensor_archive_claiming_more_than_the_file_is_refused_before_it_is_inflated()
    {
        string path = Write("deflated.ckpt", _ => { });
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            zip.GetEntry("tensors.bin")!.Delete();
            // 64 MiB of zeros deflate to a few tens of kilobytes: a zip bomb in miniature.
            using var entry = zip.CreateEntry("tensors.bin", CompressionLevel.Optimal).Open();
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 64; i++)
                entry.Write(zeros);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Read(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.StartsWith($"Checkpoint '{path}' is damaged: its tensors.bin claims 67108864 bytes stored in ", error.Message);
        Assert.True(allocated < AllocationBound, $"reading the compressed checkpoint allocated {allocated:N0} bytes");
    }

    [Fact]
    public void A_checkpoint_of_real_tensors_reads_back_the_same_values()
    {
        using var weight = arange(24, dtype: ScalarType.Float32).reshape(2, 3, 4);
        using var count = tensor(7L);
        var manifest = Manifest();
        string path = Path.Combine(_work, "good.ckpt");
        Checkpoint.Write(path, manifest, [("network/w", weight), ("network/n", count)]);

        using var read = Checkpoint.Read(path);
        Assert.Equal(new long[] { 2, 3, 4 }, read.Tensors["network/w"].shape);
        Assert.Equal(Enumerable.Range(0, 24).Select(i => (float)i), read.Tensors["network/w"].data<float>().ToArray());
        Assert.Empty(read.Tensors["network/n"].shape);
        Assert.Equal(7L, read.Tensors["network/n"].item<long>());
    }
}
