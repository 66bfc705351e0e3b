using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using MLNet.GoogLeNet.Export;
using Google.Protobuf;
using DataType = Onnx.TensorProto.Types.DataType;

namespace MLNet.GoogLeNet;

public sealed partial class GoogLeNetTransformer
{
    // Columns that live only inside the saved chain; they are dropped before its end.
    internal const string PredictedIndexColumn = "googlenet.predicted";
    internal const string PredictedHashColumn = "googlenet.predicted.hash";
    internal const string PredictedValueColumn = "googlenet.predicted.value";

    /// <summary>
    /// Saves the transformer as ordinary ML.NET transforms that reproduce it, so that <c>mlContext.Model.Load</c> needs
    /// only Microsoft.ML and Microsoft.ML.OnnxTransformer: see <see cref="ToOnnxTransformerChain"/>.
    /// Called by <c>mlContext.Model.Save</c>.
    /// </summary>
    public void Save(ModelSaveContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        WithServingChain(new MLContext(seed: 0), chain => chain.Save(ctx));
    }

    /// <summary>
    /// The ML.NET transforms that reproduce this transformer with ONNX Runtime instead of TorchSharp — what
    /// <c>mlContext.Model.Save</c> stores:
    /// <list type="number">
    /// <item>an ONNX scorer (Microsoft.ML.OnnxTransformer) running the network, which outputs <c>Score</c> (with the class
    /// names as slot names, carried in the ONNX graph the way ML.NET's own ONNX export does) and the index of the best class;</item>
    /// <item>Hash (combine) → ConvertType → MapValue: the index, a one-element vector, becomes the class value as a scalar
    /// (ML.NET's ONNX scorer, 5 and 6, cannot output scalars);</item>
    /// <item>MapValueToKey with the classes as key data: <c>PredictedLabel</c>, a key carrying the label's key values in order;</item>
    /// <item>DropColumns of the helper columns.</item>
    /// </list>
    /// </summary>
    /// <param name="gpuDeviceId">GPU for ONNX Runtime's CUDA provider (needs Microsoft.ML.OnnxRuntime.Gpu); null for the CPU.</param>
    /// <param name="fallbackToCpu">Use the CPU when the GPU cannot be used.</param>
    /// <returns>
    /// The chain, which the caller disposes (it is <see cref="IDisposable"/>): like any model loaded from a zip, its ONNX
    /// scorer keeps the network in a file of the temporary folder (about 24 MB for the full-width network) until then.
    /// </returns>
    public ITransformer ToOnnxTransformerChain(int? gpuDeviceId = null, bool fallbackToCpu = false)
    {
        // ML.NET's ONNX scorer made from a file leaves the file to its owner, and one made from a stream copies the stream
        // to a temporary file that nothing deletes; one loaded from a saved model owns its copy and deletes it when
        // disposed. So the chain is made on a file of this library's, saved to memory, and loaded back.
        var ml = new MLContext(seed: 0) { GpuDeviceId = gpuDeviceId, FallbackToCpu = fallbackToCpu };
        using var saved = new MemoryStream();
        WithServingChain(ml, chain => ml.Model.Save(chain, inputSchema: null, saved));
        saved.Position = 0;
        return ml.Model.Load(saved, out _);
    }

    /// <summary>
    /// Calls <paramref name="use"/> with the chain of <see cref="ToOnnxTransformerChain"/> made in <paramref name="ml"/>
    /// on a temporary file holding the ONNX network, then disposes the chain and deletes the file.
    /// </summary>
    private void WithServingChain(MLContext ml, Action<ITransformer> use)
    {
        // Held for the whole save: Dispose on another thread waits for the weights to be read.
        using var held = Use();
        CheckServingNames();
        string onnxFile = Path.Combine(Path.GetTempPath(), "googlenet-" + Path.GetRandomFileName() + ".onnx");
        try
        {
            using (var file = File.Create(onnxFile))
                BuildServingModel().WriteTo(file);
            var chain = ServingChain(ml, onnxFile);
            try
            {
                use(chain);
            }
            finally
            {
                (chain as IDisposable)?.Dispose();
            }
        }
        finally
        {
            File.Delete(onnxFile);
        }
    }

    /// <summary>The chain of <see cref="ToOnnxTransformerChain"/>, its scorer reading <paramref name="onnxFile"/>, which the caller deletes.</summary>
    private ITransformer ServingChain(MLContext ml, string onnxFile)
    {
        var (hashing, hashes) = ChooseHashing(ml, Classes.Count);
        var lookup = ServingTables.HashToClassValue(ml, hashes, Classes);
        var keyData = ServingTables.ClassValues(ml, Classes);

        var estimator = ml.Transforms.ApplyOnnxModel([GoogLeNetColumns.Score, PredictedIndexColumn], [FeatureColumnName], onnxFile,
                ml.GpuDeviceId, ml.FallbackToCpu)
            .Append(ml.Transforms.Conversion.Hash(hashing))
            .Append(ml.Transforms.Conversion.ConvertType(PredictedHashColumn, outputKind: DataKind.UInt32))
            .Append(ml.Transforms.Conversion.MapValue(PredictedValueColumn, lookup, lookup.Schema[ServingTables.HashColumn],
                lookup.Schema[ServingTables.ValueColumn], PredictedHashColumn))
            .Append(ml.Transforms.Conversion.MapValueToKey(GoogLeNetColumns.PredictedLabel, PredictedValueColumn, keyData: keyData))
            .Append(ml.Transforms.DropColumns(PredictedIndexColumn, PredictedHashColumn, PredictedValueColumn));
        return estimator.Fit(ServingTables.EmptyFeatures(ml, FeatureColumnName, FeatureType));
    }

    /// <summary>
    /// The ONNX graph the saved model runs: the network and its softmax for one image (with
    /// <see cref="TestTimeAugmentation"/>, for the image and its mirror, averaged) (ML.NET feeds rows one at a
    /// time), <c>Score</c> as a (classes) vector, the best class index as a (1) vector, and the slot-name carrier;
    /// its metadata describes the network (<see cref="NetworkMetadata"/>).
    /// </summary>
    internal Onnx.ModelProto BuildServingModel()
    {
        var builder = OnnxExporter.StartGraph(Network, FeatureColumnName);
        string probabilities = Scoring.TestTimeScoring.Emit(builder, Network, FeatureColumnName, TestTimeAugmentation, output: null);
        string flat = builder.Int64Initializer("flat_shape", [-1], 1);
        builder.Node("Reshape", "score", [probabilities, flat], GoogLeNetColumns.Score);
        builder.AddOutput(GoogLeNetColumns.Score, DataType.Float, Classes.Count);
        builder.Node("ArgMax", "predicted", [probabilities], PredictedIndexColumn,
            [OnnxGraphBuilder.Int("axis", 1), OnnxGraphBuilder.Int("keepdims", 0)]);
        builder.AddOutput(PredictedIndexColumn, DataType.Int64, 1);

        if (Classes.HasKeyValues)
        {
            // ML.NET's ONNX scorer gives an output column slot names from a node named "mlnet.<column>.SlotNames"
            // holding them in its keys_strings attribute (the convention of ML.NET's own ONNX export).
            builder.ExtraOpsets.Add(("ai.onnx.ml", 2));
            string carrierName = $"mlnet.{GoogLeNetColumns.Score}.SlotNames";
            string one = builder.StringInitializer(carrierName, ["one"], 1, 1);
            string unused = builder.Node("LabelEncoder", carrierName, [one], $"mlnet.{GoogLeNetColumns.Score}.unusedOutput",
                [OnnxGraphBuilder.Strings("keys_strings", Classes.Names), OnnxGraphBuilder.Ints("values_int64s", Enumerable.Range(0, Classes.Count).Select(i => (long)i))],
                domain: "ai.onnx.ml");
            builder.AddOutput(unused, DataType.Int64, 1, 1);
        }
        var model = builder.ToModel(OnnxExporter.OpsetVersion, "GoogLeNet scorer for ML.NET's OnnxTransformer, written by MLNet.GoogLeNet.");
        // What rebuilding the network from the zip needs (OnnxWeightImporter): its configuration and the classes.
        NetworkMetadata.Write(model, Network, Classes.Names);
        NetworkMetadata.WriteTestTimeAugmentation(model, TestTimeAugmentation);
        return model;
    }

    /// <summary>The seed ML.NET's <c>HashingEstimator</c> uses when none is given, tried first.</summary>
    private const uint HashingEstimatorDefaultSeed = 314489979;

    /// <summary>
    /// Hash settings under which the class indices 0 … K−1 get distinct hashes (tries seeds until they do), with
    /// those hashes in class order.
    /// </summary>
    private static (HashingEstimator.ColumnOptions Options, uint[] Hashes) ChooseHashing(MLContext ml, int classCount)
    {
        for (uint seed = HashingEstimatorDefaultSeed; ; seed++)
        {
            var options = new HashingEstimator.ColumnOptions(PredictedHashColumn, PredictedIndexColumn, numberOfBits: 31, seed: seed,
                useOrderedHashing: false, maximumNumberOfInverts: 0, combine: true);
            var hashes = ServingTables.HashIndices(ml, options, classCount);
            if (hashes.Distinct().Count() == classCount)
                return (options, hashes);
        }
    }

    private void CheckServingNames()
    {
        string[] reserved = [GoogLeNetColumns.Score, GoogLeNetColumns.PredictedLabel, PredictedIndexColumn, PredictedHashColumn, PredictedValueColumn];
        if (reserved.Contains(FeatureColumnName))
            throw new InvalidOperationException(
                $"The feature column is named '{FeatureColumnName}', a name the saved model uses for its own columns; rename it (CopyColumns) before training.");
    }
}
