// Serves a GoogLeNet model zip with ML.NET alone:
//   dotnet run --project examples/ServingApp -- model.zip image1.png [image2.jpg …] [--gpu 0]
// Prints one line per image: path, predicted class, its score, and the three best classes.
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet;

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

// Disposing the model at the end deletes the temporary copy of its network that ML.NET's ONNX scorer keeps.
using var loadedModel = model as IDisposable;

// The zip's input schema names the column that takes the image file paths.
ServingInput servingInput;
try
{
    servingInput = ServingInput.Find(model, inputSchema);
}
catch (InvalidDataException e)
{
    Console.Error.WriteLine($"Cannot serve model '{files[0]}': {e.Message}");
    return 1;
}
var images = files.Skip(1).ToList();
var definition = SchemaDefinition.Create(typeof(PathInput));
definition[nameof(PathInput.ImagePath)].ColumnName = servingInput.PathColumn;
IDataView input = mlContext.Data.LoadFromEnumerable(images.Select(p => new PathInput { ImagePath = p }).ToList(), definition);

var scored = servingInput.Model.Transform(input);
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

/// <summary>The one input column of a zip saved for serving: an image file path (renamed to the zip's column).</summary>
internal sealed class PathInput
{
    public string ImagePath { get; set; } = "";
}
