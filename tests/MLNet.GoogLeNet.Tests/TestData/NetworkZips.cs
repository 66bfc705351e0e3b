using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.TestData;

/// <summary>
/// Model zips of given networks without training them: the network, with every weight (and, batch-normalised, every
/// running statistic) moved away from its initial value, wrapped in a GoogLeNetTransformer and saved as
/// <c>mlContext.Model.Save</c> saves a fitted model.
/// </summary>
internal static class NetworkZips
{
    public const string FeatureColumn = "Features";

    private sealed class Row
    {
        public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
    }

    /// <summary>A small network of <paramref name="architecture"/> whose weights all differ from their initial values.</summary>
    public static GoogLeNetNetwork Perturbed(GoogLeNetConfiguration configuration, ulong seed)
    {
        var network = new GoogLeNetNetwork(configuration, seed: (long)seed);
        var generator = new Generator(seed);
        if (configuration.Architecture == NetworkArchitecture.GoogLeNetBatchNorm)
            Modules.BatchNormTests.WithRunningStatistics(network,
                [8, configuration.InputChannels, configuration.ImageHeight, configuration.ImageWidth]);
        using (no_grad())
        using (NewDisposeScope())
        {
            foreach (var parameter in network.parameters())
                parameter.add_(randn(parameter.shape, generator: generator).mul(0.05));
        }
        network.eval();
        return network;
    }

    /// <summary>
    /// The transformer the trainer would return for <paramref name="network"/> (which it takes over) with these classes;
    /// its input schema is the second item.
    /// </summary>
    public static (GoogLeNetTransformer Model, IDataView Input) Transformer(GoogLeNetNetwork network, IReadOnlyList<string> classes)
    {
        var c = network.Configuration;
        var ml = new MLContext(seed: 1);
        var definition = SchemaDefinition.Create(typeof(Row));
        definition[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, c.InputChannels, c.ImageHeight, c.ImageWidth);
        var rows = classes.Select(name => new Row { Label = name, Features = new float[c.FeatureLength] }).ToList();
        var raw = ml.Data.LoadFromEnumerable(rows, definition);
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var model = new GoogLeNetTransformer(network, CPU, keyed.Schema, FeatureColumn,
            ClassLabels.FromLabelColumn(keyed.Schema["Label"]), [], scoringBatchSize: 16, scoreChannelsLast: true, TestTimeAugmentation.None);
        return (model, keyed);
    }

    /// <summary>
    /// The model zip of <paramref name="network"/> (which the transformer takes over and disposes) with these classes,
    /// written to <paramref name="path"/>: <see cref="Transformer"/>, then <see cref="Save"/>.
    /// </summary>
    public static void Write(GoogLeNetNetwork network, IReadOnlyList<string> classes, string path)
    {
        var (model, input) = Transformer(network, classes);
        using (model)
            Save(model, input, path);
    }

    /// <summary>Saves <paramref name="model"/> to <paramref name="path"/> as a model zip.</summary>
    public static void Save(GoogLeNetTransformer model, IDataView input, string path) =>
        ModelFile.Save(new MLContext(), model, input.Schema, path);

    /// <summary>Logits of <paramref name="network"/> for <paramref name="input"/>, flattened.</summary>
    public static float[] Logits(nn.Module<Tensor, Tensor> network, Tensor input)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return network.call(input).contiguous().data<float>().ToArray();
    }
}
