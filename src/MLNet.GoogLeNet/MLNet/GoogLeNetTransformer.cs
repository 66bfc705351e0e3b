using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Scoring;
using MLNet.GoogLeNet.Training;
using TorchSharp;

namespace MLNet.GoogLeNet;

/// <summary>
/// A trained GoogLeNet in an ML.NET pipeline: <see cref="Transform"/> adds <c>Score</c> and <c>PredictedLabel</c>, lazily
/// and in batches, and <c>CreatePredictionEngine</c> scores single rows. <c>mlContext.Model.Save</c> stores it as
/// public ML.NET transforms (the network as ONNX, scored by ONNX Runtime), so the zip loads with
/// <c>mlContext.Model.Load</c> anywhere ML.NET and Microsoft.ML.OnnxTransformer are installed.
/// </summary>
/// <remarks>
/// <list type="table">
/// <listheader><term>Output column</term><term>Type</term><description>Description</description></listheader>
/// <item><term><c>Score</c></term><term>vector of <see cref="float"/>, one per class</term>
/// <description>Softmax probabilities; slot names are the class names when the label key carries values.</description></item>
/// <item><term><c>PredictedLabel</c></term><term>key type over the classes</term>
/// <description>The class with the highest score, with the label's key values.</description></item>
/// </list>
/// <para>Like ML.NET's own transformers it is not <see cref="IDisposable"/>: ML.NET's PredictionEngine disposes the
/// transformers it was created from, which would break every other engine sharing the model. The network's native
/// memory is released when the transformer is garbage-collected.</para>
/// </remarks>
public sealed partial class GoogLeNetTransformer : ITransformer
{
    internal const string ScoreColumnName = "Score";
    internal const string PredictedLabelColumnName = "PredictedLabel";

    private readonly NetworkScorer _scorer;

    internal GoogLeNetTransformer(
        GoogLeNetNetwork network, torch.Device device, DataViewSchema trainingSchema, string featureColumnName,
        ClassLabels classes, IReadOnlyList<EpochReport> history, int scoringBatchSize, bool scoreChannelsLast)
    {
        Network = network;
        Device = device;
        TrainingSchema = trainingSchema;
        FeatureColumnName = featureColumnName;
        FeatureType = (VectorDataViewType)trainingSchema[featureColumnName].Type;
        Classes = classes;
        TrainingHistory = history;
        ScoringBatchSize = scoringBatchSize;
        network.eval();
        _scorer = new NetworkScorer(network, device, scoreChannelsLast);
    }

    /// <summary>The trained TorchSharp network (in evaluation mode).</summary>
    public GoogLeNetNetwork Network { get; }

    /// <summary>The device the network lives on and scores on.</summary>
    public torch.Device Device { get; }

    /// <summary>The feature column read by <see cref="Transform"/>.</summary>
    public string FeatureColumnName { get; }

    /// <summary>The classes, in the order of the Score slots.</summary>
    public ClassLabels Classes { get; }

    /// <summary>One report per training epoch.</summary>
    public IReadOnlyList<EpochReport> TrainingHistory { get; }

    /// <summary>Images scored together by <see cref="Transform"/>.</summary>
    public int ScoringBatchSize { get; }

    /// <summary>Always true: the transformer maps each row to one row, so PredictionEngine can use it.</summary>
    public bool IsRowToRowMapper => true;

    internal VectorDataViewType FeatureType { get; }

    internal DataViewSchema TrainingSchema { get; }

    internal NetworkScorer Scorer => _scorer;

    /// <summary>
    /// The input schema plus <c>Score</c> (slot names: the class names, when the label key has values) and
    /// <c>PredictedLabel</c> (the label's key values). The saved and reloaded model gives the same two columns.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The feature column is missing or of another type or size than in training.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        CheckInput(inputSchema);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);

        var score = new DataViewSchema.Annotations.Builder();
        if (Classes.HasKeyValues)
            score.Add("SlotNames", new VectorDataViewType(TextDataViewType.Instance, Classes.Count),
                (ValueGetter<VBuffer<ReadOnlyMemory<char>>>)Classes.GetSlotNames);
        builder.AddColumn(ScoreColumnName, new VectorDataViewType(NumberDataViewType.Single, Classes.Count), score.ToAnnotations());
        builder.AddColumn(PredictedLabelColumnName, new KeyDataViewType(typeof(uint), Classes.Count), Classes.KeyValueAnnotations);
        return builder.ToSchema();
    }

    /// <summary>Scores <paramref name="input"/> lazily: the network runs, in batches, only as the result is read.</summary>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new ScoredDataView(this, input, GetOutputSchema(input.Schema));
    }

    /// <summary>A mapper that scores one row at a time (what PredictionEngine uses).</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new ScoringRowMapper(this, inputSchema, GetOutputSchema(inputSchema));
    }

    private void CheckInput(DataViewSchema inputSchema)
    {
        var vector = SchemaChecks.CheckFeatureColumn(inputSchema, FeatureColumnName, nameof(inputSchema));
        if (vector.Size != FeatureType.Size)
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Feature column '{FeatureColumnName}' is {vector}; the model was trained on {FeatureType}.");
    }
}
