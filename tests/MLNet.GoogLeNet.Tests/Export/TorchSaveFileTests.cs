using System.Text.Json;
using Microsoft.ML;
using MLNet.GoogLeNet.Export;
using MLNet.GoogLeNet.Tests.TestData;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Export;

/// <summary>
/// Both of <c>torch.save</c>'s formats, the zip archive and the format before PyTorch 1.6, read in .NET: files that
/// Debian's PyTorch 1.13 writes from the same state dicts (tensors that share storages, views at offsets, non-contiguous
/// views, every element type; torchvision's GoogLeNet with and without its auxiliary classifiers) give tensors equal bit
/// for bit to the ones PyTorch wrote out raw; truncated and lying files are refused naming the file, before memory of the
/// size they claim is allocated.
/// </summary>
public sealed class TorchSaveFileTests : IDisposable
{
    private static readonly string Script = Path.Combine(RepositoryPaths.Root, "tests", "MLNet.GoogLeNet.Tests", "TestData", "torch_save_formats.py");
    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-torch-save-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private void WriteFiles()
    {
        var (code, stdout, stderr) = PythonInterpreter.Run(PythonInterpreter.With("torchvision")!, [Script, "write", _folder]);
        Assert.True(code == 0, stdout + stderr);
    }

    [PythonModuleFact("torchvision", "python3-torchvision")]
    public void Zip_and_earlier_format_files_of_one_state_dict_read_as_the_tensors_pytorch_wrote()
    {
        WriteFiles();
        foreach (string name in new[] { "views", "googlenet-aux1", "googlenet-aux0", "inception_v3-aux1", "inception_v3-aux0" })
        {
            using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder, name + ".json")));
            byte[] raw = File.ReadAllBytes(Path.Combine(_folder, name + ".raw"));
            var expectedKeys = index.RootElement.EnumerateObject().Select(p => p.Name).ToList();
            foreach (string format in new[] { "zip", "legacy" })
            {
                string path = Path.Combine(_folder, $"{name}-{format}.pth");
                Assert.Equal(expectedKeys, StateDictFile.ReadKeys(path));
                var state = StateDictFile.Read(path);
                try
                {
                    Assert.Equal(expectedKeys, state.Keys);
                    foreach (var entry in index.RootElement.EnumerateObject())
                    {
                        var tensor = state[entry.Name];
                        string what = $"{name}-{format}: {entry.Name}";
                        Assert.True(entry.Value.GetProperty("dtype").GetString() == DtypeName(tensor.dtype), $"{what}: {tensor.dtype}");
                        Assert.Equal(entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()), tensor.shape);
                        Assert.True(tensor.is_contiguous(), what);
                        int offset = entry.Value.GetProperty("offset").GetInt32();
                        byte[] bytes = tensor.numel() == 0 ? [] : tensor.bytes.ToArray();
                        Assert.True(raw.AsSpan(offset, bytes.Length).SequenceEqual(bytes), $"{what}: the values differ from PyTorch's");
                    }
                    // The batch-norm counters come back as written, not as zeros.
                    if (name != "views")
                        Assert.All(state.Where(e => e.Key.EndsWith(".num_batches_tracked", StringComparison.Ordinal)), e => Assert.Equal(4L, e.Value.item<long>()));
                }
                finally
                {
                    foreach (var tensor in state.Values)
                        tensor.Dispose();
                }
            }
        }
    }

    [PythonModuleFact("torchvision", "python3-torchvision")]
    public void Truncated_and_lying_files_of_either_format_are_refused_naming_the_file()
    {
        WriteFiles();
        foreach (string format in new[] { "zip", "legacy" })
        {
            byte[] whole = File.ReadAllBytes(Path.Combine(_folder, $"googlenet-aux0-{format}.pth"));
            foreach (int length in new[] { whole.Length / 2, whole.Length - 100, 40 })
            {
                string cut = Path.Combine(_folder, $"cut-{format}-{length}.pth");
                File.WriteAllBytes(cut, whole[..length]);
                // Reading the keys alone, as train --from does first to recognise the network, checks the storages are there.
                foreach (var read in new Action[] { () => StateDictFile.Read(cut), () => StateDictFile.ReadKeys(cut) })
                {
                    var error = Assert.Throws<InvalidDataException>(read);
                    Assert.StartsWith($"Weights file '{cut}' is not a readable PyTorch state_dict", error.Message);
                }
            }
        }

        // A storage that claims 2^40 float elements (4 TiB), where PyTorch itself tries to allocate them: refused by its
        // size against the file's before anything is allocated.
        string lying = Path.Combine(_folder, "lying-legacy.pth");
        long before = GC.GetTotalAllocatedBytes(precise: true);
        foreach (var read in new Action[] { () => StateDictFile.Read(lying), () => StateDictFile.ReadKeys(lying) })
        {
            var claim = Assert.Throws<InvalidDataException>(read);
            Assert.Contains($"Weights file '{lying}'", claim.Message);
            Assert.True(claim.Message.Contains("claims 4,398,046,511,104 bytes", StringComparison.Ordinal), claim.Message);
        }
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 1 << 20, "the refusals allocated a megabyte or more");
    }

    [PythonModuleFact("torchvision", "python3-torchvision")]
    public void Fit_refuses_a_file_it_cannot_read_before_it_builds_a_network_or_times_a_step()
    {
        WriteFiles();
        string cut = Path.Combine(_folder, "cut.pth");
        byte[] whole = File.ReadAllBytes(Path.Combine(_folder, "googlenet-aux0-legacy.pth"));
        File.WriteAllBytes(cut, whole[..(whole.Length / 2)]);
        var random = new Random(1);
        var labels = Enumerable.Range(0, 8).Select(i => PatternImages.Classes[i % 4]).ToArray();
        var images = new GrayscaleImages(labels.SelectMany(l => PatternImages.Draw(l, 32, random)).ToArray(), labels, 32, 32);
        var ml = new MLContext(seed: 1);
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        var trainer = ml.MulticlassClassification.Trainers.GoogLeNet(ml, new GoogLeNetTrainerOptions
        {
            Architecture = NetworkArchitecture.GoogLeNetTorchvision, MixedPrecision = MixedPrecision.Auto, FineTuneFrom = cut, Epochs = 1,
        });
        var error = Assert.Throws<InvalidOperationException>(() => ImagePreprocessing.FromImages(ml, imageSize: 32).Append(trainer).Fit(images.ToDataView()));
        Assert.StartsWith($"FineTuneFrom: Weights file '{cut}' is not a readable PyTorch state_dict", error.Message);
        lock (log)
        {
            Assert.DoesNotContain(log, m => m.Contains("Mixed precision auto", StringComparison.Ordinal));
            Assert.DoesNotContain(log, m => m.StartsWith("Training ", StringComparison.Ordinal));
        }
    }

    private static string DtypeName(ScalarType type) => type switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Float64 => "float64",
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Int64 => "int64",
        ScalarType.Int32 => "int32",
        ScalarType.Int16 => "int16",
        ScalarType.Int8 => "int8",
        ScalarType.Byte => "uint8",
        ScalarType.Bool => "bool",
        _ => type.ToString(),
    };
}
