using Google.Protobuf;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Featurization;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Native;

namespace MLNet.GoogLeNet;

/// <summary>
/// Turns images into the features a trained GoogLeNet (or any network of the family) computes before its classifier
/// head — 1,024 floats for GoogLeNet, 2,048 for torchvision's Inception-v3 — for any ML.NET trainer (a linear one,
/// LightGBM) or for search and clustering, the way ML.NET's <c>DnnImageFeaturizer</c> does with ResNet. Made by
/// <see cref="GoogLeNetCatalog.GoogLeNetFeaturizer"/>.
/// </summary>
/// <remarks>
/// <para>The network is read when the estimator is made (with TorchSharp), so a file that cannot be used is refused
/// then; <see cref="Fit"/> returns ML.NET's own ONNX scorer (Microsoft.ML.OnnxTransformer) running the backbone, which
/// saves in a model zip as any ML.NET transform does and loads and scores with ML.NET and ONNX Runtime alone, in an
/// application that references neither TorchSharp nor this library.</para>
/// <para>The fitted transformer owns a copy of the network in the temporary folder, deleted when it is disposed, as
/// any model loaded from a zip with an ONNX scorer does.</para>
/// <list type="table">
/// <listheader><term>Column</term><description>What it holds</description></listheader>
/// <item><term>input (default <see cref="GoogLeNetColumns.Features"/>)</term><description>C×H×W planar floats in [0, 1] of
/// the size the network takes (<see cref="ImagePreprocessing"/>): <see cref="ImageChannels"/>, <see cref="ImageSize"/>.</description></item>
/// <item><term>output (default <see cref="GoogLeNetColumns.ImageFeatures"/>)</term><description>Known-size vector of
/// <see cref="FeatureLength"/> floats: the pooled features of the last Inception stage.</description></item>
/// </list>
/// </remarks>
public sealed class GoogLeNetFeaturizerEstimator : IEstimator<ITransformer>
{
    private readonly MLContext _context;
    private readonly byte[] _onnx;
    private readonly string _outputColumnName;
    private readonly string _inputColumnName;

    /// <summary>The featurizer of the network <paramref name="weights"/> holds (<see cref="FeaturizerNetwork.Load"/>), read now.</summary>
    internal static GoogLeNetFeaturizerEstimator FromWeights(MLContext context, string weights, string outputColumnName, string inputColumnName,
        int? imageSize, int? channels)
    {
        CheckArguments(context, outputColumnName, inputColumnName);  // before the network is read
        TorchRuntime.EnsureLoaded();
        using var network = FeaturizerNetwork.Load(weights, imageSize, channels);
        return new GoogLeNetFeaturizerEstimator(context, network, outputColumnName, inputColumnName);
    }

    /// <summary>The featurizer of <paramref name="network"/>, which the caller keeps: its graph is written now.</summary>
    internal GoogLeNetFeaturizerEstimator(MLContext context, GoogLeNetNetwork network, string outputColumnName, string inputColumnName)
    {
        CheckArguments(context, outputColumnName, inputColumnName);
        ArgumentNullException.ThrowIfNull(network);
        _context = context;
        _outputColumnName = outputColumnName;
        _inputColumnName = inputColumnName;
        var c = network.Configuration;
        (ImageChannels, ImageSize, FeatureLength, Architecture) = (c.InputChannels, c.ImageHeight, network.FeatureLength, c.Architecture);
        _onnx = FeaturizerNetwork.Build(network, inputColumnName, outputColumnName).ToByteArray();
    }

    private static void CheckArguments(MLContext context, string outputColumnName, string inputColumnName)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(inputColumnName);
    }

    /// <summary>The network whose features these are.</summary>
    public NetworkArchitecture Architecture { get; }

    /// <summary>The channels of the input pixels: 1 (grayscale) or 3 (RGB).</summary>
    public int ImageChannels { get; }

    /// <summary>The height and width of the input pixels.</summary>
    public int ImageSize { get; }

    /// <summary>The length of the output vector.</summary>
    public int FeatureLength { get; }

    /// <summary>
    /// ML.NET's ONNX scorer of the backbone, checked against <paramref name="input"/>'s schema: the input column must hold
    /// <see cref="ImageChannels"/>×<see cref="ImageSize"/>×<see cref="ImageSize"/> floats.
    /// </summary>
    /// <exception cref="ArgumentException">The input column is missing or of another type or size; the message names it.</exception>
    public ITransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var vector = SchemaChecks.CheckFeatureColumn(input.Schema, _inputColumnName, nameof(input));
        int expected = ImageChannels * ImageSize * ImageSize;
        if (vector.Size != expected)
            throw new ArgumentException(
                $"Feature column '{_inputColumnName}' holds {vector.Size} floats per row; the featurizer's {Architecture} network takes " +
                $"{ImageChannels}×{ImageSize}×{ImageSize} = {expected} (ImagePreprocessing with imageSize {ImageSize} and channels {ImageChannels}).",
                nameof(input));
        // ML.NET's ONNX scorer made from a file leaves the file to its owner: saved to memory and loaded back, the
        // transformer owns a copy of its own and deletes it when disposed.
        return OnTemporaryFile(file =>
        {
            using var saved = new MemoryStream();
            var fitted = Scorer(file).Fit(input);
            try
            {
                _context.Model.Save(fitted, inputSchema: null, saved);
            }
            finally
            {
                (fitted as IDisposable)?.Dispose();
            }
            saved.Position = 0;
            return _context.Model.Load(saved, out _);
        });
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => OnTemporaryFile(file => Scorer(file).GetOutputSchema(inputSchema));

    private IEstimator<ITransformer> Scorer(string onnxFile) =>
        _context.Transforms.ApplyOnnxModel(_outputColumnName, _inputColumnName, onnxFile, _context.GpuDeviceId, _context.FallbackToCpu);

    /// <summary>Runs <paramref name="use"/> on a temporary file holding the network's ONNX, deleted after.</summary>
    private T OnTemporaryFile<T>(Func<string, T> use)
    {
        string file = Path.Combine(Path.GetTempPath(), "googlenet-featurizer-" + Path.GetRandomFileName() + ".onnx");
        try
        {
            File.WriteAllBytes(file, _onnx);
            return use(file);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
