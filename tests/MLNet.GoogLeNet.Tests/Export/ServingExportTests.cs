using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MLNet.GoogLeNet.Export;
using MLNet.GoogLeNet.Tests.TestData;
using DataType = Onnx.TensorProto.Types.DataType;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;

namespace MLNet.GoogLeNet.Tests.Export;

/// <summary>
/// <c>googlenet export --onnx/--triton</c> on the zip of a trained pipeline: the standalone model scores as the
/// trainer does at batch 1 and 64, and the Triton repository describes that model.
/// </summary>
[Collection(TrainedPatternModel.Collection)]
public sealed class ServingExportTests(TrainedPatternModel fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-export-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string SavedZip()
    {
        string path = Path.Combine(_folder, "model.zip");
        ModelFile.Save(fixture.Context, fixture.Model, fixture.TrainData.Schema, path);
        return path;
    }

    /// <summary>The first <paramref name="count"/> training rows' feature vectors and the trainer's scores for them.</summary>
    private (List<float[]> Features, List<float[]> Scores) TrainerScores(int count)
    {
        var scored = fixture.Model.Transform(fixture.TrainData);
        var features = scored.GetColumn<float[]>("Features").Take(count).ToList();
        var scores = scored.GetColumn<float[]>("Score").Take(count).ToList();
        Assert.Equal(count, features.Count);
        return (features, scores);
    }

    private static float[] Run(InferenceSession session, IReadOnlyList<float[]> rows, int[] imageShape)
    {
        var tensor = new DenseTensor(rows.SelectMany(r => r).ToArray(), [rows.Count, .. imageShape]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.Single(), tensor)]);
        return results.Single().AsTensor<float>().ToArray();
    }

    [Fact]
    public void Standalone_onnx_scores_as_the_trainer_at_batch_1_and_64()
    {
        string onnx = Path.Combine(_folder, "model.onnx");
        var (exit, output) = CliRunner.Run("export", "--model", SavedZip(), "--onnx", onnx);
        Assert.True(exit == 0, output);
        var c = fixture.GoogLeNet.Network.Configuration;
        Assert.Contains($"input 'images' (N, {c.InputChannels}, {c.ImageHeight}, {c.ImageWidth}), output 'probabilities' (N, 4)", output);

        using var session = new InferenceSession(onnx);
        Assert.Equal(["images"], session.InputMetadata.Keys);
        Assert.Equal(["probabilities"], session.OutputMetadata.Keys);
        Assert.Equal([-1, c.InputChannels, c.ImageHeight, c.ImageWidth], session.InputMetadata["images"].Dimensions);
        Assert.Equal(PatternImages.Classes, JsonSerializer.Deserialize<string[]>(session.ModelMetadata.CustomMetadataMap[NetworkMetadata.ClassNamesKey]));

        int[] image = [c.InputChannels, c.ImageHeight, c.ImageWidth];
        var (features, scores) = TrainerScores(64);
        OnnxExporterTests.AssertClose(scores.SelectMany(s => s).ToArray(), Run(session, features, image), 1e-4f, "batch 64");
        for (int row = 0; row < 4; row++)
            OnnxExporterTests.AssertClose(scores[row], Run(session, [features[row]], image), 1e-4f, $"batch 1, row {row}");
    }

    [Fact]
    public void Logits_export_ends_before_the_softmax()
    {
        string onnx = Path.Combine(_folder, "logits.onnx");
        var (exit, output) = CliRunner.Run("export", "--model", SavedZip(), "--onnx", onnx, "--logits");
        Assert.True(exit == 0, output);
        using var session = new InferenceSession(onnx);
        Assert.Equal(["logits"], session.OutputMetadata.Keys);
        var c = fixture.GoogLeNet.Network.Configuration;
        var (features, scores) = TrainerScores(8);
        var logits = Run(session, features, [c.InputChannels, c.ImageHeight, c.ImageWidth]);
        for (int row = 0; row < features.Count; row++)
        {
            var rowLogits = logits.Skip(row * 4).Take(4).ToArray();
            float max = rowLogits.Max();
            var exp = rowLogits.Select(l => MathF.Exp(l - max)).ToArray();
            OnnxExporterTests.AssertClose(scores[row], exp.Select(e => e / exp.Sum()).ToArray(), 1e-4f, $"softmax of row {row}'s logits");
        }
    }

    [Fact]
    public void Triton_repository_describes_the_onnx_graph_it_holds()
    {
        string repository = Path.Combine(_folder, "repository");
        var (exit, output) = CliRunner.Run("export", "--model", SavedZip(), "--triton", repository, "--triton-name", "patterns", "--max-batch-size", "32");
        Assert.True(exit == 0, output);
        string modelFolder = Path.Combine(repository, "patterns");
        Assert.Equal(["config.pbtxt", "labels.txt"], Directory.GetFiles(modelFolder).Select(Path.GetFileName).Order());
        var graph = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(modelFolder, "1", "model.onnx"))).Graph;

        var config = TritonConfigText.Parse(File.ReadAllText(Path.Combine(modelFolder, "config.pbtxt")));
        Assert.Equal(["patterns"], config["name"]);
        Assert.Equal(["onnxruntime_onnx"], config["platform"]);
        Assert.Equal(["32"], config["max_batch_size"]);
        AssertDescribes(graph.Input.Single(), (Dictionary<string, List<object>>)config["input"].Single());
        var outputConfig = (Dictionary<string, List<object>>)config["output"].Single();
        AssertDescribes(graph.Output.Single(), outputConfig);

        string labels = Path.Combine(modelFolder, (string)outputConfig["label_filename"].Single());
        Assert.Equal(PatternImages.Classes, File.ReadAllLines(labels));

        // The batch dimension is Triton's (max_batch_size), so the graph's must be symbolic.
        Assert.Equal("N", graph.Input.Single().Type.TensorType.Shape.Dim[0].DimParam);
    }

    private static void AssertDescribes(Onnx.ValueInfoProto value, Dictionary<string, List<object>> config)
    {
        Assert.Equal([value.Name], config["name"]);
        Assert.Equal(DataType.Float, (DataType)value.Type.TensorType.ElemType);
        Assert.Equal(["TYPE_FP32"], config["data_type"]);
        Assert.Equal(value.Type.TensorType.Shape.Dim.Skip(1).Select(d => d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            config["dims"].Cast<string>());
    }

    [PythonModuleFact("onnx", "python3-onnx")]
    public void Exported_model_passes_the_onnx_checker()
    {
        string onnx = Path.Combine(_folder, "checked.onnx");
        var (exit, output) = CliRunner.Run("export", "--model", SavedZip(), "--onnx", onnx);
        Assert.True(exit == 0, output);
        var (code, stdout, stderr) = PythonInterpreter.Run(PythonInterpreter.With("onnx")!,
            ["-c", "import sys, onnx; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print('ok', len(m.graph.node))", onnx]);
        Assert.True(code == 0, $"onnx.checker: {stdout}{stderr}");
        Assert.StartsWith("ok ", stdout);
    }

    [Fact]
    public void Export_without_an_output_or_with_a_missing_model_says_what_is_wrong()
    {
        var nothing = CliRunner.Run("export", "--model", SavedZip());
        Assert.Equal(2, nothing.ExitCode);
        Assert.Contains("nothing to write", nothing.Output);
        string missing = Path.Combine(_folder, "missing.zip");
        var noModel = CliRunner.Run("export", "--model", missing, "--onnx", Path.Combine(_folder, "x.onnx"));
        Assert.Equal(2, noModel.ExitCode);
        Assert.Contains($"--model: file '{missing}' not found", noModel.Output);
        Assert.False(File.Exists(Path.Combine(_folder, "x.onnx")));
    }
}
