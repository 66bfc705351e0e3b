using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Cli.Jobs;
using MLNet.GoogLeNet.IO;

namespace MLNet.GoogLeNet.Cli.Output;

/// <summary>JSON written by <c>train</c>: the data, the settings and one entry per epoch.</summary>
internal sealed record TrainingReport(
    string Data, TrainingJobSettings Settings, long Parameters, IReadOnlyList<EpochReport> Epochs, string Model, double TotalSeconds)
{
    public void Write(string path) => JsonFile.Write(path, new
    {
        data = Data,
        network = new
        {
            architecture = Settings.Options.Architecture.ToString(), imageSize = Settings.ImageSize, channels = Settings.Channels,
            widthDivisor = Settings.Options.WidthDivisor, parameters = Parameters,
        },
        training = new
        {
            preset = Settings.PresetName, options = Settings.Options.ToString(),
            epochs = Settings.Options.Epochs, batchSize = Settings.Options.BatchSize, optimizer = Settings.Options.Optimizer.ToString(),
            learningRate = Settings.Options.LearningRate, schedule = Settings.Options.LearningRateSchedule.ToString(),
            initialization = Settings.Options.Initialization.ToString(), seed = Settings.Seed,
            device = Settings.GpuDeviceId is { } id ? $"cuda:{id}" : "cpu",
            trainLimit = Settings.TrainLimit, testLimit = Settings.TestLimit,
        },
        epochs = Epochs.Select(e => new
        {
            epoch = e.Epoch, loss = e.Loss, trainAccuracy = e.TrainAccuracy, testAccuracy = e.ValidationAccuracy,
            learningRate = e.LearningRate, seconds = e.Seconds, images = e.Images, imagesPerSecond = e.ImagesPerSecond,
        }),
        model = Model,
        totalSeconds = TotalSeconds,
    });
}

/// <summary>JSON written by <c>evaluate</c>: overall metrics, per-class precision and recall, and the confusion matrix.</summary>
/// <param name="UnseenLabels">Labels of the data that the model was not trained on, with their image counts: those images are
/// left out of the metrics.</param>
internal sealed record EvaluationReport(
    string Model, string Data, IReadOnlyList<string> Classes, long Images, double MicroAccuracy, double MacroAccuracy, double LogLoss,
    IReadOnlyList<double> Precision, IReadOnlyList<double> Recall, double[][] ConfusionMatrix, IReadOnlyDictionary<string, long> UnseenLabels)
{
    public static EvaluationReport From(string model, string data, IReadOnlyList<string> classes, MulticlassClassificationMetrics metrics,
        IReadOnlyDictionary<string, long> unseenLabels)
    {
        var counts = metrics.ConfusionMatrix.Counts.Select(row => row.ToArray()).ToArray();
        return new EvaluationReport(model, data, classes, (long)counts.Sum(r => r.Sum()), metrics.MicroAccuracy, metrics.MacroAccuracy,
            metrics.LogLoss, metrics.ConfusionMatrix.PerClassPrecision, metrics.ConfusionMatrix.PerClassRecall, counts, unseenLabels);
    }

    public void Write(string path) => JsonFile.Write(path, new
    {
        model = Model,
        data = Data,
        images = Images,
        microAccuracy = MicroAccuracy,
        macroAccuracy = MacroAccuracy,
        logLoss = LogLoss,
        classes = Classes.Select((c, i) => new { name = c, precision = Precision[i], recall = Recall[i] }),
        confusionMatrix = new { rows = "actual class", columns = "predicted class", counts = ConfusionMatrix },
        unseenLabels = UnseenLabels,
    });
}

/// <summary>Writes indented JSON atomically (temporary file, then rename).</summary>
internal static class JsonFile
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void Write(string path, object value) =>
        AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, value, Options));
}
