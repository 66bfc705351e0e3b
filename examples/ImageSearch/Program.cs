// Finds the images of a folder most like a query image, by the features a GoogLeNet featurizer zip computes
// (googlenet export --model model.zip --featurizer featurizer.zip), with ML.NET and ONNX Runtime alone:
//   dotnet run --project examples/ImageSearch -- featurizer.zip FOLDER QUERY_IMAGE [--top 5]
// Prints the most similar files of FOLDER (and its sub-folders), most similar first: cosine similarity, then path.
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

const string FeaturesColumn = "ImageFeatures"; // the zip's output: one vector of pooled features per image
string[] extensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

var positional = new List<string>();
int top = 5;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--top" && i + 1 < args.Length && int.TryParse(args[++i], CultureInfo.InvariantCulture, out int k) && k > 0) top = k;
    else positional.Add(args[i]);
}
if (positional.Count != 3)
{
    Console.Error.WriteLine("usage: ImageSearch <featurizer.zip> <folder> <query image> [--top N]");
    return 2;
}
var (zip, folder, query) = (positional[0], positional[1], positional[2]);
if (!Directory.Exists(folder)) { Console.Error.WriteLine($"Folder '{folder}' not found."); return 1; }
if (!File.Exists(query)) { Console.Error.WriteLine($"Query image '{query}' not found."); return 1; }
var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
    .Where(f => extensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal).ToList();
if (files.Count == 0) { Console.Error.WriteLine($"Folder '{folder}' holds no images ({string.Join(", ", extensions)})."); return 1; }

var mlContext = new MLContext();
ITransformer featurizer;
try
{
    featurizer = mlContext.Model.Load(zip, out _);
}
catch (Exception e) when (e is IOException or InvalidDataException or FormatException or InvalidOperationException)
{
    Console.Error.WriteLine($"Cannot load featurizer '{zip}': {e.Message}");
    return 1;
}
// Disposing it deletes the temporary copy of the network that ML.NET's ONNX scorer keeps.
using var owned = featurizer as IDisposable;

// Unit-length vectors: their dot product is the cosine similarity.
float[][] Featurize(IEnumerable<string> paths)
{
    var input = mlContext.Data.LoadFromEnumerable(paths.Select(p => new ImageInput { ImagePath = p }).ToList());
    return [.. featurizer.Transform(input).GetColumn<float[]>(FeaturesColumn).Select(Normalize)];
}
static float[] Normalize(float[] v)
{
    float norm = MathF.Sqrt(v.Sum(x => x * x));
    return norm > 0 ? [.. v.Select(x => x / norm)] : v;
}

float[] wanted = Featurize([query])[0];
var index = Featurize(files);
var nearest = files.Select((path, i) => (Path: path, Similarity: wanted.Zip(index[i], (a, b) => a * b).Sum()))
    .OrderByDescending(match => match.Similarity).ThenBy(match => match.Path, StringComparer.Ordinal).Take(top);
foreach (var (path, similarity) in nearest)
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{similarity:F4}\t{path}"));
return 0;

/// <summary>The featurizer zip's one input column, ImagePath: an image file path.</summary>
internal sealed class ImageInput
{
    public string ImagePath { get; set; } = "";
}
