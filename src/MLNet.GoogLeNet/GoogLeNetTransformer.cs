using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Scoring;
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
/// <description>Softmax probabilities (with <see cref="TestTimeAugmentation"/>, the mean of the image's and its
/// mirror's); slot names are the class names when the label key carries values.</description></item>
/// <item><term><c>PredictedLabel</c></term><term>key type over the classes</term>
/// <description>The class with the highest score, with the label's key values.</description></item>
/// </list>
/// <para><see cref="Network"/> is the one copy of the weights: <c>Transform</c>, <c>PredictionEngine</c> and
/// <c>Save</c> all read it, so a change to its weights shows in all three.</para>
/// <para><see cref="Dispose"/> frees the network's native (and GPU) memory; scoring or saving afterwards throws
/// <see cref="ObjectDisposedException"/>. Without it the memory is released when the transformer is garbage-collected.
/// Disposing is safe while other threads score or save with the transformer: <see cref="Dispose"/> refuses new work at
/// once, waits for the forward passes and saves already running to finish, then frees the network.
/// A PredictionEngine disposes the model it was created from when it is itself disposed, unless it was created with
/// <c>new PredictionEngineOptions { OwnsTransformer = false }</c>: create engines that share one model (a pool, a web
/// service) that way.</para>
/// </remarks>
public sealed partial class GoogLeNetTransformer : ITransformer, IDisposable
{
    private readonly GoogLeNetNetwork _network;
    private readonly NetworkScorer _scorer;
    private readonly NetworkGate _gate = new();

    internal GoogLeNetTransformer(
        GoogLeNetNetwork network, torch.Device device, DataViewSchema trainingSchema, string featureColumnName,
        ClassLabels classes, IReadOnlyList<EpochReport> history, int scoringBatchSize, bool scoreChannelsLast,
        TestTimeAugmentation testTimeAugmentation)
    {
        TestTimeAugmentation = testTimeAugmentation;
        _network = network;
        Device = device;
        FeatureColumnName = featureColumnName;
        FeatureType = (VectorDataViewType)trainingSchema[featureColumnName].Type;
        Classes = classes;
        TrainingHistory = history;
        ScoringBatchSize = scoringBatchSize;
        network.eval();
        // The layout oneDNN and cuDNN score fastest in (docs/performance.md); values and shapes are unchanged.
        network.UseChannelsLast(scoreChannelsLast);
        _scorer = new NetworkScorer(network, device, testTimeAugmentation);
    }

    /// <summary>
    /// The trained TorchSharp network, in evaluation mode: the weights that <c>Transform</c>, <c>PredictionEngine</c>
    /// and <c>Save</c> use. Its convolution weights may be laid out channels-last in memory
    /// (<see cref="GoogLeNetTrainerOptions.ChannelsLast"/>); their shapes and values are the usual ones.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The transformer has been disposed.</exception>
    public GoogLeNetNetwork Network
    {
        get
        {
            ThrowIfDisposed();
            return _network;
        }
    }

    /// <summary>The device the network lives on and scores on.</summary>
    public torch.Device Device { get; }

    /// <summary>The feature column read by <see cref="Transform"/>.</summary>
    public string FeatureColumnName { get; }

    /// <summary>The classes, in the order of the Score slots.</summary>
    public ClassLabels Classes { get; }

    /// <summary>One report per training epoch.</summary>
    public IReadOnlyList<EpochReport> TrainingHistory { get; }

    /// <summary>
    /// How <c>Score</c> is computed from the network (<see cref="GoogLeNetTrainerOptions.TestTimeAugmentation"/>): by
    /// <see cref="Transform"/>, <c>PredictionEngine</c> and the saved zip alike.
    /// </summary>
    public TestTimeAugmentation TestTimeAugmentation { get; }

    /// <summary>Images scored together by <see cref="Transform"/>.</summary>
    public int ScoringBatchSize { get; }

    /// <summary>Always true: the transformer maps each row to one row, so PredictionEngine can use it.</summary>
    public bool IsRowToRowMapper => true;

    internal VectorDataViewType FeatureType { get; }

    /// <summary>
    /// Scores <paramref name="count"/> planar images into <paramref name="probabilities"/> (see
    /// <see cref="NetworkScorer.Score(float[], int, float[])"/>), holding the network against <see cref="Dispose"/>
    /// for the forward pass.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The transformer has been disposed.</exception>
    internal void Score(float[] features, int count, float[] probabilities)
    {
        using var use = Use();
        _scorer.Score(features, count, probabilities);
    }

    /// <summary>
    /// Holds the network until the returned value is disposed: <see cref="Dispose"/> waits for it. Scoring and saving
    /// take one for the time they read the weights.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The transformer has been disposed (or is being disposed).</exception>
    internal NetworkGate.Use Use() => _gate.Enter() ? new NetworkGate.Use(_gate) : throw Disposed();

    /// <summary>True once <see cref="Dispose"/> has been called: the network is freed, or is freed as soon as the work running on it ends.</summary>
    public bool IsDisposed => _gate.IsClosed;

    /// <summary>
    /// Frees the network's native (and GPU) memory. Scoring and saving started on other threads before the call finish
    /// first (the call waits for them); any started after it throw <see cref="ObjectDisposedException"/>. Calls after
    /// the first return at once.
    /// </summary>
    public void Dispose()
    {
        if (_gate.CloseAndWait())
            _network.Dispose();
    }

    private void ThrowIfDisposed()
    {
        if (IsDisposed)
            throw Disposed();
    }

    private static ObjectDisposedException Disposed() => new(nameof(GoogLeNetTransformer),
        "This GoogLeNet model has been disposed and its network freed. A PredictionEngine disposes the model it was " +
        "created from when the engine is disposed: to share one model between engines, create them with " +
        "new PredictionEngineOptions { OwnsTransformer = false }, or load the saved zip again.");

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
        builder.AddColumn(GoogLeNetColumns.Score, new VectorDataViewType(NumberDataViewType.Single, Classes.Count), score.ToAnnotations());
        builder.AddColumn(GoogLeNetColumns.PredictedLabel, new KeyDataViewType(typeof(uint), Classes.Count), Classes.KeyValueAnnotations);
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
        ThrowIfDisposed();
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
