// Serves a GoogLeNet model zip with ML.NET alone:
//   dotnet run --project examples/ServingApp -- model.zip image1.png [image2.jpg …] [--gpu 0]
// Prints one line per image: path, predicted class, its score, and the three best classes.
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

var files = new List<string>();
int? gpu = null;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--gpu" && i + 1 < args.Length) gpu = int.Parse(args[++i], CultureInfo.InvariantCulture);
    else files.Add(args[i]);
}
if (files.Count < 2)
{
    Console.Error.WriteLine("usage: ServingApp <model.zip> <image> [<image> …] [--gpu <id>]");
    return 2;
}

// GpuDeviceId is read when the ONNX scorer is loaded: set it before Load.
var mlContext = new MLContext { GpuDeviceId = gpu, FallbackToCpu = true };
ITransformer model;
DataViewSchema inputSchema;
try
{
    model = mlContext.Model.Load(files[0], out inputSchema);
}
catch (Exception e) when (e is IOException or InvalidDataException or FormatException or InvalidOperationException)
{
    Console.Error.WriteLine($"Cannot load model '{files[0]}': {e.Message}");
    return 1;
}

// A model trained from image files reads "ImagePath"; one trained from in-memory images reads "Image".
var images = files.Skip(1).ToList();
IDataView input = inputSchema.GetColumnOrNull("ImagePath") is not null
    ? mlContext.Data.LoadFromEnumerable(images.Select(p => new PathInput { ImagePath = p }))
    : mlContext.Data.LoadFromEnumerable(images.Select(p => new ImageInput { Image = MLImage.CreateFromFile(p) }));

var scored = model.Transform(input);
var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
scored.Schema["Score"].GetSlotNames(ref slotNames);
var classes = slotNames.DenseValues().Select(n => n.ToString()).ToArray();
var labels = scored.GetColumn<string>("PredictedLabel").ToList();
var scores = scored.GetColumn<float[]>("Score").ToList();
for (int i = 0; i < images.Count; i++)
{
    var best = scores[i].Select((s, c) => (Score: s, Class: classes[c])).OrderByDescending(x => x.Score).Take(3);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{images[i]}\t{labels[i]}\t{scores[i].Max():F4}\t{string.Join(", ", best.Select(b => $"{b.Class} {b.Score:F3}"))}"));
}
return 0;

/// <summary>Input of models that load their images from files.</summary>
internal sealed class PathInput
{
    public string ImagePath { get; set; } = "";
    public string Label { get; set; } = "";
}

/// <summary>Input of models trained on images already in memory (28×28 Fashion-MNIST images from IDX files).</summary>
internal sealed class ImageInput
{
    [Microsoft.ML.Transforms.Image.ImageType(28, 28)]
    public MLImage? Image { get; set; }
    public string Label { get; set; } = "";
}
