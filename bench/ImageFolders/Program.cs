// Writes a Model Builder-style image folder (one subfolder per class, PNG files) — the small folders the docs measure
// `googlenet train --data FOLDER` on — from one of two sets of real images that Debian packages:
//   --source fashion-mnist (default): the Fashion-MNIST test images, 28×28 (package dataset-fashion-mnist);
//   --source digits: the UCI handwritten digits, 1,797 images of 8×8 with 17 grey levels, as scikit-learn ships them
//     (package python3-sklearn, file sklearn/datasets/data/digits.csv.gz: 64 pixel values 0–16, then the digit).
//   dotnet run -c Release --project bench/ImageFolders -- --out /tmp/small-folder [--source digits] [--images 1500] [--rgb]
// --rgb writes 3-channel images: each image's figure (garment, digit) gets its own random bright colour and its
// background its own random dark one (seeded) — a folder of colour images whose colours say nothing of the class.
// --rgb equal-luma picks two colours far apart in hue but of nearly the same brightness: the shape is seen in colour,
// and a network that reads only brightness sees little of it.
using System.Globalization;
using Microsoft.ML.Data;
using MLNet.GoogLeNet;

string? output = Option("--out");
if (output is null)
{
    Console.Error.WriteLine("Usage: ImageFolders --out DIR [--source fashion-mnist|digits] [--images 1500] [--rgb [equal-luma]] [--data FILE_OR_FOLDER] [--seed 1]");
    return 2;
}
string source = Option("--source") ?? "fashion-mnist";
if (source is not ("fashion-mnist" or "digits"))
{
    Console.Error.WriteLine($"--source must be fashion-mnist or digits, not '{source}'");
    return 2;
}
int count = int.Parse(Option("--images") ?? "1500", CultureInfo.InvariantCulture);
int seed = int.Parse(Option("--seed") ?? "1", CultureInfo.InvariantCulture);
bool rgb = args.Contains("--rgb");
string? colouring = Option("--rgb") is { } value && !value.StartsWith("--", StringComparison.Ordinal) ? value : null;
if (colouring is not (null or "equal-luma"))
{
    Console.Error.WriteLine($"--rgb takes no value or equal-luma, not '{colouring}'");
    return 2;
}
bool equalLuma = colouring == "equal-luma";
string data = Option("--data") ?? (source == "digits"
    ? "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"
    : "/usr/share/datasets/fashion-mnist");

var images = source == "digits" ? Digits(data, count) : FashionMnist.Load(data, FashionMnistSplit.Test, count);
var random = new Random(seed);
for (int i = 0; i < images.Count; i++)
{
    string folder = Path.Combine(output, Safe(images.Labels[i]));
    Directory.CreateDirectory(folder);
    using var image = rgb ? Coloured(images.Image(i), images.Width, images.Height, random, equalLuma) : GrayscaleImages.ToImage(images.Image(i), images.Width, images.Height);
    image.Save(Path.Combine(folder, $"{i:D5}.png"));
}
Console.WriteLine($"{images.Count} {(rgb ? equalLuma ? "RGB (equal luma)" : "RGB" : "grayscale")} {source} images in {images.Labels.Distinct().Count()} class folders under {output}");
return 0;

// The digits file: one image a line, 64 values 0–16 (8×8, row by row), then the digit. Grey levels become 0–255.
static GrayscaleImages Digits(string path, int count)
{
    if (!File.Exists(path))
        throw new FileNotFoundException($"'{path}' not found: install the Debian package python3-sklearn, or pass --data with the path of digits.csv.gz.");
    using var file = new System.IO.Compression.GZipStream(File.OpenRead(path), System.IO.Compression.CompressionMode.Decompress);
    using var reader = new StreamReader(file);
    var pixels = new List<byte>();
    var labels = new List<string>();
    while (labels.Count < count && reader.ReadLine() is { } line)
    {
        var values = line.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        if (values.Length != 65)
            throw new InvalidDataException($"{path}, line {labels.Count + 1}: expected 65 values, found {values.Length}");
        pixels.AddRange(values.Take(64).Select(v => (byte)Math.Round(v * 255.0 / 16)));
        labels.Add(values[64].ToString(CultureInfo.InvariantCulture));
    }
    return new GrayscaleImages(pixels.ToArray(), labels, 8, 8);
}

static MLImage Coloured(ReadOnlySpan<byte> gray, int width, int height, Random random, bool equalLuma)
{
    var (background, figure) = ColourPair(random, equalLuma);
    var bgra = new byte[gray.Length * 4];
    for (int p = 0; p < gray.Length; p++)
    {
        double t = gray[p] / 255.0;
        for (int c = 0; c < 3; c++)
            bgra[4 * p + c] = (byte)Math.Round(background[2 - c] * (1 - t) + figure[2 - c] * t);
        bgra[4 * p + 3] = 255;
    }
    return MLImage.CreateFromPixels(width, height, MLPixelFormat.Bgra32, bgra);
}

// Two random colours: a dark background (luma 0.299 R + 0.587 G + 0.114 B below 40) and a bright figure (luma above
// 100); with equalLuma, two colours far apart in RGB (channel differences summing to over 200) of nearly the same luma.
static (double[] Background, double[] Figure) ColourPair(Random random, bool equalLuma)
{
    while (true)
    {
        double[] a = [random.Next(256), random.Next(256), random.Next(256)];
        double[] b = [random.Next(256), random.Next(256), random.Next(256)];
        double distance = Math.Abs(a[0] - b[0]) + Math.Abs(a[1] - b[1]) + Math.Abs(a[2] - b[2]);
        if (equalLuma ? distance > 200 && Math.Abs(Luma(a) - Luma(b)) < 40 : Luma(a) < 40 && Luma(b) > 100)
            return (a, b);
    }
}

static double Luma(double[] rgb) => 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];

static string Safe(string label) => string.Concat(label.Select(ch => Path.GetInvalidFileNameChars().Contains(ch) ? '-' : ch));

string? Option(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
