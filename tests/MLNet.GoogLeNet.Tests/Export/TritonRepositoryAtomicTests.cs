using MLNet.GoogLeNet.Export;
using MLNet.GoogLeNet.Modules;

namespace MLNet.GoogLeNet.Tests.Export;

/// <summary>
/// A Triton export is all or nothing: class names it cannot write are refused before any file is written, and a
/// repository written again is replaced as a set (model, labels and config of the same export, never a mix).
/// </summary>
public sealed class TritonRepositoryAtomicTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("googlenet-triton-atomic-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static Onnx.ModelProto Model(int classCount)
    {
        using var network = new GoogLeNetNetwork(new GoogLeNetConfiguration(1, classCount, 32, 32, WidthDivisor: 16), seed: 1);
        return StandaloneOnnx.Build(network, Enumerable.Range(0, classCount).Select(i => $"c{i}").ToList(), logits: false);
    }

    /// <summary>Every file under the directory, by relative path, with its bytes.</summary>
    private Dictionary<string, byte[]> Contents() =>
        Directory.EnumerateFiles(_directory, "*", SearchOption.AllDirectories)
            .ToDictionary(file => Path.GetRelativePath(_directory, file), File.ReadAllBytes);

    [Fact]
    public void A_class_name_with_a_line_break_is_refused_before_anything_is_written()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            TritonRepository.Write(_directory, "googlenet", Model(3), ["coat", "ankle\nboot", "bag"], maxBatchSize: 8));

        Assert.StartsWith("Class name 'ankle\\nboot' holds a line break, which a Triton labels file (one name a line) cannot hold", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_directory));
    }

    [Fact]
    public void A_failed_export_over_a_repository_leaves_it_as_it_was()
    {
        string folder = TritonRepository.Write(_directory, "googlenet", Model(3), ["coat", "boot", "bag"], maxBatchSize: 8);
        var before = Contents();
        Assert.Equal(3, before.Count);

        Assert.Throws<ArgumentException>(() => TritonRepository.Write(_directory, "googlenet", Model(4), ["a", "b", "c\r", "d"], maxBatchSize: 16));
        Assert.Throws<ArgumentException>(() => TritonRepository.Write(_directory, "googlenet", Model(4), ["a", "b", "c", "d"], maxBatchSize: 0));

        var after = Contents();
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (file, bytes) in before)
            Assert.True(bytes.AsSpan().SequenceEqual(after[file]), $"{file} changed");
        Assert.Equal(["googlenet"], Directory.EnumerateFileSystemEntries(_directory).Select(Path.GetFileName));
        Assert.Equal("coat\nboot\nbag\n", File.ReadAllText(Path.Combine(folder, TritonRepository.LabelsFileName)));
    }

    [Fact]
    public void A_repository_written_again_is_replaced_as_a_set()
    {
        string folder = TritonRepository.Write(_directory, "googlenet", Model(3), ["coat", "boot", "bag"], maxBatchSize: 8);
        File.WriteAllText(Path.Combine(folder, "stale.txt"), "left by hand");

        var model = Model(4);
        Assert.Equal(folder, TritonRepository.Write(_directory, "googlenet", model, ["a", "b", "c", "d"], maxBatchSize: 16));

        Assert.Equal("a\nb\nc\nd\n", File.ReadAllText(Path.Combine(folder, TritonRepository.LabelsFileName)));
        Assert.Contains("max_batch_size: 16\n", File.ReadAllText(Path.Combine(folder, TritonRepository.ConfigFileName)));
        Assert.Equal(Google.Protobuf.MessageExtensions.ToByteArray(model),
            File.ReadAllBytes(Path.Combine(folder, TritonRepository.Version, TritonRepository.ModelFileName)));
        Assert.False(File.Exists(Path.Combine(folder, "stale.txt")));
        Assert.Equal(["googlenet"], Directory.EnumerateFileSystemEntries(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public void Googlenet_export_refuses_such_a_class_name_before_writing_any_of_its_outputs()
    {
        var configuration = new GoogLeNetConfiguration(1, 3, 32, 32, WidthDivisor: 16);
        var (model, input) = TestData.NetworkZips.Transformer(TestData.NetworkZips.Perturbed(configuration, 2), ["coat", "ankle\nboot", "bag"]);
        string zip = Path.Combine(_directory, "model.zip");
        using (model)
            TestData.NetworkZips.Save(model, input, zip);
        string onnx = Path.Combine(_directory, "model.onnx"), triton = Path.Combine(_directory, "triton");

        var (exit, output) = TestData.CliRunner.Run("export", "--model", zip, "--onnx", onnx, "--triton", triton);

        Assert.Equal(1, exit);
        Assert.Contains("error: Class name 'ankle\\nboot' holds a line break, which a Triton labels file (one name a line) cannot hold", output);
        Assert.False(File.Exists(onnx), "the ONNX model was written before the refusal");
        Assert.False(Directory.Exists(triton), "the Triton folder was created before the refusal");
    }
}
