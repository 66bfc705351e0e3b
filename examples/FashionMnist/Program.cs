// The Dive into Deep Learning GoogLeNet recipe as an ML.NET program, with the trainer's recipe preset
// (GoogLeNetTrainerOptions.Recipe(): the plain network, SGD with learning rate 0.1, batch 128, Xavier initialisation,
// 5 epochs) on Fashion-MNIST resized to 96×96 by ML.NET's image transforms.
//
//   dotnet run -c Release --project examples/FashionMnist                     # the recipe (about 2 hours per epoch on a 2-core CPU; meant for a GPU)
//   dotnet run -c Release --project examples/FashionMnist -- --limit 2000 --epochs 1   # a quick look
//   dotnet run -c Release --project examples/FashionMnist -- --gpu 0          # needs the CUDA build: -p:TorchBackend=cuda
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet;

// Where Debian's dataset-fashion-mnist package puts the four IDX files (sudo apt-get install dataset-fashion-mnist).
const string DebianFashionMnist = "/usr/share/datasets/fashion-mnist";

string data = Option("--data") ?? DebianFashionMnist;
int? limit = Option("--limit") is { } l ? int.Parse(l, CultureInfo.InvariantCulture) : null;
int? epochs = Option("--epochs") is { } e ? int.Parse(e, CultureInfo.InvariantCulture) : null;
int? gpu = Option("--gpu") is { } g ? int.Parse(g, CultureInfo.InvariantCulture) : null;
string modelPath = Option("--model") ?? "fashion-mnist-googlenet.zip";

var mlContext = new MLContext(seed: 1) { GpuDeviceId = gpu, FallbackToCpu = true };
mlContext.Log += (_, message) =>
{
    if (message.Kind != Microsoft.ML.Runtime.ChannelMessageKind.Trace && message.Source.Contains(nameof(GoogLeNetTrainer), StringComparison.Ordinal))
        Console.WriteLine(message.RawMessage);
};

// 1. Data: the IDX files enter ML.NET as 28×28 images.
var train = FashionMnist.Load(data, FashionMnistSplit.Train, limit).ToDataView();
var testImages = FashionMnist.Load(data, FashionMnistSplit.Test, limit is null ? null : limit / 5);
var test = testImages.ToDataView();

// 2. ML.NET's image transforms: grayscale → resize to 96×96 → pixels / 255 → label key (in the dataset's class order).
var preprocessing = ImagePreprocessing.FromImages(mlContext, imageSize: 96, channels: 1, classes: FashionMnist.ClassNames);

// 3. The trainer with the recipe preset; "test acc" is reported after each epoch.
var options = GoogLeNetTrainerOptions.Recipe();
options.Epochs = epochs ?? options.Epochs;
options.ValidationSet = preprocessing.Fit(test).Transform(test);
// CacheFeatures is left to the trainer: it keeps the preprocessed images (2.6 GB for the whole set) in memory when
// they take at most a quarter of it, and later epochs skip the resizing.
Console.WriteLine($"Training with the {options.Preset} preset: {options}");
var pipeline = preprocessing
    .Append(mlContext.MulticlassClassification.Trainers.GoogLeNet(mlContext, options))
    .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

var model = pipeline.Fit(train);

// 4. Evaluate, save, and check that the saved zip gives the same accuracy.
var metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(test));
Console.WriteLine($"test accuracy {metrics.MicroAccuracy:F3}, log-loss {metrics.LogLoss:F4}");
// The zip takes image files (its input schema declares the ImagePath column), though the model trained on images in memory.
ModelFile.SaveForServing(mlContext, model, modelPath);
var loaded = ModelFile.Load(new MLContext(), modelPath, out var inputSchema);
using var loadedChain = (IDisposable)loaded;  // disposing deletes the temporary copy of the network the zip's scorer keeps
// The test images are in memory too: the zip's steps after LoadImages score them.
var fromImages = ServingInput.Find(loaded, inputSchema).FromImages(out string imageColumn);
var scored = fromImages.Transform(testImages.ToDataView(imageColumn));
var predicted = scored.GetColumn<string>("PredictedLabel").ToList();
double reloaded = predicted.Where((label, i) => label == testImages.Labels[i]).Count() / (double)predicted.Count;
Console.WriteLine($"saved to {modelPath}; accuracy of the saved model {reloaded:F3}");
return 0;

string? Option(string name)
{
    int index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}
