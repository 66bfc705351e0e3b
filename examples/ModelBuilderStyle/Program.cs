// A Model Builder-style script: ModelInput/ModelOutput classes, BuildPipeline/RetrainPipeline, and Predict from the
// saved zip. It trains on an image folder (one sub-folder per class, as Model Builder expects).
//
//   dotnet run -c Release --project examples/ModelBuilderStyle                 # writes a folder of Fashion-MNIST PNGs first (a few minutes on a 2-core CPU)
//   dotnet run -c Release --project examples/ModelBuilderStyle -- --data DIR   # your own image folder
using System.Globalization;
using Microsoft.ML;
using ModelBuilderStyle;
using MLNet.GoogLeNet;

// Where Debian's dataset-fashion-mnist package puts the four IDX files (sudo apt-get install dataset-fashion-mnist).
const string DebianFashionMnist = "/usr/share/datasets/fashion-mnist";

string? folder = args.Length >= 2 && args[0] == "--data" ? args[1] : null;
folder ??= WriteFashionMnistFolder(Path.GetFullPath(Path.Combine("out", "fashion-mnist-images")), perClass: 100);

var mlContext = new MLContext(seed: 1);
var scan = ImageFolder.Scan(folder);
var rows = scan.Images.Select(i => new FashionClassifier.ModelInput { ImagePath = i.ImagePath, Label = i.Label }).ToList();
var random = new Random(1);
var shuffled = rows.OrderBy(_ => random.Next()).ToList();
var trainRows = shuffled.Skip(shuffled.Count / 5).ToList();
var testRows = shuffled.Take(shuffled.Count / 5).ToList();
Console.WriteLine("Training with the trainer's default preset (new GoogLeNetTrainerOptions()) at 64×64.");
Console.WriteLine($"{scan.Classes.Count} classes, {trainRows.Count} training and {testRows.Count} test images from {folder}" +
                  (scan.Channels == 3 ? ", in colour: read as RGB" : ""));

IDataView trainData = mlContext.Data.LoadFromEnumerable(trainRows);
// A folder with colour images is read on three channels, a grayscale one on one.
var model = FashionClassifier.RetrainPipeline(mlContext, trainData, scan.Channels);
FashionClassifier.SaveModel(mlContext, model);
Console.WriteLine($"saved {FashionClassifier.ModelPath}");

var metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(mlContext.Data.LoadFromEnumerable(testRows)));
Console.WriteLine($"held-out accuracy {metrics.MicroAccuracy:F3}");

foreach (var sample in testRows.Take(10))
{
    var prediction = FashionClassifier.Predict(sample);
    var top = FashionClassifier.PredictAllLabels(sample).Take(3)
        .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:F3}"));
    Console.WriteLine($"{Path.GetFileName(sample.ImagePath)} ({sample.Label}): {prediction.PredictedLabel}   [{string.Join(", ", top)}]");
}
return 0;

// Writes the first images of each Fashion-MNIST class as PNG files, one folder per class.
static string WriteFashionMnistFolder(string root, int perClass)
{
    var images = FashionMnist.Load(DebianFashionMnist, FashionMnistSplit.Test);
    var written = new Dictionary<string, int>();
    for (int i = 0; i < images.Count; i++)
    {
        string label = images.Labels[i];
        if (written.GetValueOrDefault(label) >= perClass) continue;
        string classFolder = Path.Combine(root, label.Replace('/', '-'));
        Directory.CreateDirectory(classFolder);
        using var image = GrayscaleImages.ToImage(images.Image(i), images.Width, images.Height);
        image.Save(Path.Combine(classFolder, $"{i:D5}.png"));
        written[label] = written.GetValueOrDefault(label) + 1;
    }
    return root;
}
