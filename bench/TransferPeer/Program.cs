using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Transforms.Image;
using TransferPeer;

// ML.NET's own transfer route on an image folder pair, as its documentation composes it: load → resize to 224×224 →
// pixels → DnnFeaturizeImage with the ImageNet ResNet18 the package ships (frozen; its 512 pooled features per image)
// → a cache, so that the features are computed once and not on each of the trainer's passes → LbfgsMaximumEntropy.
// With --featurizer ZIP the features are those of a featurizer zip instead (googlenet export --featurizer: image paths
// → ImageFeatures, scored by ONNX Runtime), the rest of the route the same: the library's featurizer side by side with
// ResNet18's, in a program that references ML.NET only.
//   dotnet run -c Release --project bench/TransferPeer -- TRAIN_DIR TEST_DIR [--featurizer ZIP]
// Prints test accuracy (micro and macro), log-loss, the seconds of Fit and of the whole run, and the peak working set.
string? featurizerZip = null;
var folders = new List<string>();
for (int a = 0; a < args.Length; a++)
{
    if (args[a] == "--featurizer" && a + 1 < args.Length) featurizerZip = args[++a];
    else folders.Add(args[a]);
}
if (folders.Count != 2)
{
    Console.Error.WriteLine("usage: TransferPeer TRAIN_DIR TEST_DIR [--featurizer ZIP] (image folders, one sub-folder per class; bench/colour-images/prepare.sh writes them)");
    return 2;
}
const int ImageSize = 224;  // ResNet18's ImageNet input
var total = Stopwatch.StartNew();
var context = new MLContext(seed: 1);
var trainRows = LabelledImages.Read(folders[0]);
var testRows = LabelledImages.Read(folders[1]);
var train = context.Data.LoadFromEnumerable(trainRows);
var test = context.Data.LoadFromEnumerable(testRows);

// The features: ResNet18's through ML.NET's image steps, or the featurizer zip's (its own image steps inside), applied
// to the rows lazily, so that Fit computes them (once, into the cache) as it does ResNet18's.
IEstimator<ITransformer> features;
if (featurizerZip is null)
{
    features = context.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(ImageRow.ImagePath))
        .Append(context.Transforms.ResizeImages("Image", ImageSize, ImageSize))
        .Append(context.Transforms.ExtractPixels("Pixels", "Image"))
        .Append(context.Transforms.DnnFeaturizeImage("Features", m => m.ModelSelector.ResNet18(context, m.OutputColumn, m.InputColumn), "Pixels"));
}
else
{
    var featurizer = context.Model.Load(featurizerZip, out _);
    train = featurizer.Transform(train);
    test = featurizer.Transform(test);
    features = context.Transforms.CopyColumns("Features", "ImageFeatures");
}
var pipeline = context.Transforms.Conversion.MapValueToKey("Label")
    .Append(features)
    .AppendCacheCheckpoint(context)
    .Append(context.MulticlassClassification.Trainers.LbfgsMaximumEntropy("Label", "Features"))
    .Append(context.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

var fit = Stopwatch.StartNew();
var model = pipeline.Fit(train);
fit.Stop();
var metrics = context.MulticlassClassification.Evaluate(model.Transform(test));
total.Stop();

var invariant = CultureInfo.InvariantCulture;
Console.WriteLine(string.Create(invariant, $"features          {featurizerZip ?? "ResNet18 (Microsoft.ML.DnnImageFeaturizer.ResNet18)"}"));
Console.WriteLine(string.Create(invariant, $"train images      {trainRows.Count} in {trainRows.Select(r => r.Label).Distinct().Count()} classes ({folders[0]})"));
Console.WriteLine(string.Create(invariant, $"test images       {testRows.Count} ({folders[1]})"));
Console.WriteLine(string.Create(invariant, $"test accuracy     {metrics.MicroAccuracy:F3} (macro {metrics.MacroAccuracy:F3}, log-loss {metrics.LogLoss:F3})"));
Console.WriteLine(string.Create(invariant, $"fit seconds       {fit.Elapsed.TotalSeconds:F1}"));
Console.WriteLine(string.Create(invariant, $"total minutes     {total.Elapsed.TotalMinutes:F2}"));
Console.WriteLine(string.Create(invariant, $"peak memory MiB   {Process.GetCurrentProcess().PeakWorkingSet64 / (1 << 20)}"));
return 0;

