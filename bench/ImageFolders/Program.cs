// Writes a Model Builder-style image folder (one subfolder per class, PNG files) from Debian's Fashion-MNIST test
// images — the small folder the docs measure `googlenet train --data FOLDER` on:
//   dotnet run -c Release --project bench/ImageFolders -- --out /tmp/small-folder [--images 1500] [--rgb]
// --rgb writes 3-channel images: each image's garment and background get their own random colours (seeded), chosen
// so that the garment's brightness differs from the background's by little — the shape is seen in colour, and a
// network that reads only brightness sees less of it. The class does not depend on the colours.
using System.Globalization;
using Microsoft.ML.Data;
using MLNet.GoogLeNet;

string? output = Option("--out");
if (output is null)
{
    Console.Error.WriteLine("Usage: ImageFolders --out DIR [--images 1500] [--rgb] [--data /usr/share/datasets/fashion-mnist] [--seed 1]");
    return 2;
}
int count = int.Parse(Option("--images") ?? "1500", CultureInfo.InvariantCulture);
int seed = int.Parse(Option("--seed") ?? "1", CultureInfo.InvariantCulture);
bool rgb = args.Contains("--rgb");
string data = Option("--data") ?? "/usr/share/datasets/fashion-mnist";

var images = FashionMnist.Load(data, FashionMnistSplit.Test, count);
var random = new Random(seed);
for (int i = 0; i < images.Count; i++)
{
    string folder = Path.Combine(output, Safe(images.Labels[i]));
    Directory.CreateDirectory(folder);
    using var image = rgb ? Coloured(images.Image(i), images.Width, images.Height, random) : GrayscaleImages.ToImage(images.Image(i), images.Width, images.Height);
    image.Save(Path.Combine(folder, $"{i:D5}.png"));
}
Console.WriteLine($"{images.Count} {(rgb ? "RGB" : "grayscale")} images in {images.Labels.Distinct().Count()} class folders under {output}");
return 0;

static MLImage Coloured(ReadOnlySpan<byte> gray, int width, int height, Random random)
{
    // Two colours of nearly equal luma (0.299 R + 0.587 G + 0.114 B) but different hue.
    var (background, garment) = ColourPair(random);
    var bgra = new byte[gray.Length * 4];
    for (int p = 0; p < gray.Length; p++)
    {
        double t = gray[p] / 255.0;
        for (int c = 0; c < 3; c++)
            bgra[4 * p + c] = (byte)Math.Round(background[2 - c] * (1 - t) + garment[2 - c] * t);
        bgra[4 * p + 3] = 255;
    }
    return MLImage.CreateFromPixels(width, height, MLPixelFormat.Bgra32, bgra);
}

static (double[] Background, double[] Garment) ColourPair(Random random)
{
    while (true)
    {
        double[] a = [random.Next(256), random.Next(256), random.Next(256)];
        double[] b = [random.Next(256), random.Next(256), random.Next(256)];
        double hueDistance = Math.Abs(a[0] - b[0]) + Math.Abs(a[1] - b[1]) + Math.Abs(a[2] - b[2]);
        if (Math.Abs(Luma(a) - Luma(b)) < 40 && hueDistance > 200)
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
