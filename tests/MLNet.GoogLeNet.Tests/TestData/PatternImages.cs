using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace MLNet.GoogLeNet.Tests.TestData;

/// <summary>One labelled image file, as a Model Builder-style input row.</summary>
public sealed class ImageRow
{
    [LoadColumn(0)]
    public string ImagePath { get; set; } = "";

    [LoadColumn(1)]
    public string Label { get; set; } = "";
}

/// <summary>
/// Small PNG images of four visually distinct patterns, written to a temporary folder: horizontal stripes,
/// vertical stripes, a checkerboard and a bright disc on dark ground. Each image has its own random phase, stripe
/// width, contrast and noise, so a classifier has to learn the pattern, not memorise pixels.
/// </summary>
public sealed class PatternImages : IDisposable
{
    public static readonly string[] Classes = ["horizontal", "vertical", "checker", "disc"];

    private PatternImages(string root, List<ImageRow> train, List<ImageRow> test)
    {
        Root = root;
        Train = train;
        Test = test;
    }

    public string Root { get; }
    public IReadOnlyList<ImageRow> Train { get; }
    public IReadOnlyList<ImageRow> Test { get; }

    /// <summary>Writes <paramref name="trainPerClass"/> + <paramref name="testPerClass"/> images of each class, <paramref name="size"/> pixels square.</summary>
    public static PatternImages Create(int trainPerClass, int testPerClass, int size = 40, int seed = 1, int classCount = 4)
    {
        string root = Path.Combine(Path.GetTempPath(), "googlenet-tests-" + Guid.NewGuid().ToString("N"));
        var random = new Random(seed);
        var train = new List<ImageRow>();
        var test = new List<ImageRow>();
        foreach (var label in Classes.Take(classCount))
        {
            Directory.CreateDirectory(Path.Combine(root, label));
            for (int i = 0; i < trainPerClass + testPerClass; i++)
            {
                string path = Path.Combine(root, label, $"{i:D3}.png");
                WritePng(path, Draw(label, size, random), size);
                (i < trainPerClass ? train : test).Add(new ImageRow { ImagePath = path, Label = label });
            }
        }
        return new PatternImages(root, train, test);
    }

    /// <summary>Grayscale intensities 0–255 of one image of <paramref name="label"/>.</summary>
    public static byte[] Draw(string label, int size, Random random)
    {
        int period = random.Next(6, 11);
        int phase = random.Next(period);
        double low = random.Next(0, 60), high = random.Next(180, 256);
        double cx = random.Next(size / 3, 2 * size / 3), cy = random.Next(size / 3, 2 * size / 3), radius = random.Next(size / 6, size / 3);
        var pixels = new byte[size * size];
        for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
        {
            bool on = label switch
            {
                "horizontal" => (y + phase) % period < period / 2,
                "vertical" => (x + phase) % period < period / 2,
                "checker" => ((x + phase) / (period / 2 + 1) + (y + phase) / (period / 2 + 1)) % 2 == 0,
                "disc" => (x - cx) * (x - cx) + (y - cy) * (y - cy) < radius * radius,
                _ => throw new ArgumentOutOfRangeException(nameof(label)),
            };
            double value = (on ? high : low) + random.Next(-20, 21);
            pixels[y * size + x] = (byte)Math.Clamp(value, 0, 255);
        }
        return pixels;
    }

    /// <summary>Saves grayscale pixels as a PNG through ML.NET's own image type.</summary>
    public static void WritePng(string path, byte[] gray, int size)
    {
        using var image = GrayscaleImages.ToImage(gray, size, size);
        image.Save(path);
    }

    /// <summary>
    /// The image part of the pipeline a user composes: load → grayscale → resize → pixels (scale 1/255, one channel)
    /// → label to key.
    /// </summary>
    public static IEstimator<ITransformer> Preprocessing(MLContext ml, int size = 32) =>
        ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(ImageRow.ImagePath))
            .Append(ml.Transforms.ConvertToGrayscale("Image"))
            .Append(ml.Transforms.ResizeImages("Image", size, size))
            .Append(ml.Transforms.ExtractPixels("Features", "Image", ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: 1f / 255))
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Temporary files; the OS cleans the folder up if it is still in use.
        }
    }
}
