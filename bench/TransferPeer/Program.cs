using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Transforms.Image;
using TransferPeer;

// ML.NET's own transfer route on an image folder pair, as its documentation composes it: load → resize to 224×224 →
// pixels → DnnFeaturizeImage with the ImageNet ResNet18 the package ships (frozen; its 512 pooled features per image)
// → a cache, so that the features are computed once and not on each of the trainer's passes → LbfgsMaximumEntropy.
//   dotnet run -c Release --project bench/TransferPeer -- TRAIN_DIR TEST_DIR
// Prints test accuracy (micro and macro), log-loss, the seconds of Fit and of the whole run, and the peak working set.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: TransferPeer TRAIN_DIR TEST_DIR (image folders, one sub-folder per class; bench/colour-images/prepare.sh writes them)");
    return 2;
}
const int ImageSize = 224;  // ResNet18's ImageNet input
var total = Stopwatch.StartNew();
var context = new MLContext(seed: 1);
var trainRows = LabelledImages.Read(args[0]);
var testRows = LabelledImages.Read(args[1]);
var train = context.Data.LoadFromEnumerable(trainRows);
var test = context.Data.LoadFromEnumerable(testRows);

var pipeline = context.Transforms.Conversion.MapValueToKey("Label")
    .Append(context.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(ImageRow.ImagePath)))
    .Append(context.Transforms.ResizeImages("Image", ImageSize, ImageSize))
    .Append(context.Transforms.ExtractPixels("Pixels", "Image"))
    .Append(context.Transforms.DnnFeaturizeImage("Features", m => m.ModelSelector.ResNet18(context, m.OutputColumn, m.InputColumn), "Pixels"))
    .AppendCacheCheckpoint(context)
    .Append(context.MulticlassClassification.Trainers.LbfgsMaximumEntropy("Label", "Features"))
    .Append(context.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

var fit = Stopwatch.StartNew();
var model = pipeline.Fit(train);
fit.Stop();
var metrics = context.MulticlassClassification.Evaluate(model.Transform(test));
total.Stop();

var invariant = CultureInfo.InvariantCulture;
Console.WriteLine(string.Create(invariant, $"train images      {trainRows.Count} in {trainRows.Select(r => r.Label).Distinct().Count()} classes ({args[0]})"));
Console.WriteLine(string.Create(invariant, $"test images       {testRows.Count} ({args[1]})"));
Console.WriteLine(string.Create(invariant, $"test accuracy     {metrics.MicroAccuracy:F3} (macro {metrics.MacroAccuracy:F3}, log-loss {metrics.LogLoss:F3})"));
Console.WriteLine(string.Create(invariant, $"fit seconds       {fit.Elapsed.TotalSeconds:F1}"));
Console.WriteLine(string.Create(invariant, $"total minutes     {total.Elapsed.TotalMinutes:F2}"));
Console.WriteLine(string.Create(invariant, $"peak memory MiB   {Process.GetCurrentProcess().PeakWorkingSet64 / (1 << 20)}"));
return 0;
