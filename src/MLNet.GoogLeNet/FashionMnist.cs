using MLNet.GoogLeNet.Data;

namespace MLNet.GoogLeNet;

/// <summary>Which half of Fashion-MNIST to read.</summary>
public enum FashionMnistSplit
{
    /// <summary>The 60,000 training images (train-images-idx3-ubyte, train-labels-idx1-ubyte).</summary>
    Train,

    /// <summary>The 10,000 test images (t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte).</summary>
    Test,
}

/// <summary>
/// Fashion-MNIST (Xiao, Rasul and Vollgraf 2017): 28×28 grayscale images of ten kinds of clothing, read from the IDX
/// files that Debian's dataset-fashion-mnist package installs, and turned into in-memory images so that ML.NET's image
/// transforms do the resizing and normalisation.
/// </summary>
public static class FashionMnist
{
    /// <summary>The class names, in the order of the label values 0–9.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>True when <paramref name="folder"/> holds the image and label files of both splits.</summary>
    public static bool IsPresent(string folder) =>
        FindFile(folder, "train-images-idx3-ubyte") is not null && FindFile(folder, "train-labels-idx1-ubyte") is not null &&
        FindFile(folder, "t10k-images-idx3-ubyte") is not null && FindFile(folder, "t10k-labels-idx1-ubyte") is not null;

    /// <summary>
    /// Reads a split. With <paramref name="limit"/>, keeps the first <paramref name="limit"/> images (the files
    /// are shuffled, so a prefix keeps the classes roughly balanced).
    /// </summary>
    /// <exception cref="FileNotFoundException">A file is missing; the message says which.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt, truncated, or the image and label counts differ.</exception>
    public static GrayscaleImages Load(string folder, FashionMnistSplit split, int? limit = null)
    {
        string prefix = split == FashionMnistSplit.Train ? "train" : "t10k";
        string imagesPath = Require(folder, $"{prefix}-images-idx3-ubyte");
        string labelsPath = Require(folder, $"{prefix}-labels-idx1-ubyte");
        var images = IdxReader.ReadImages(imagesPath);
        var labels = IdxReader.ReadLabels(labelsPath);
        if (images.Count != labels.Length)
            throw new InvalidDataException(
                $"'{imagesPath}' holds {images.Count} images but '{labelsPath}' holds {labels.Length} labels; the files do not belong together.");
        int count = Math.Min(images.Count, limit ?? int.MaxValue);
        var names = new string[count];
        for (int i = 0; i < count; i++)
        {
            if (labels[i] >= ClassNames.Count)
                throw new InvalidDataException($"'{labelsPath}': label {labels[i]} of image {i} is not a Fashion-MNIST class (0–9).");
            names[i] = ClassNames[labels[i]];
        }
        return new GrayscaleImages(images.Pixels.AsSpan(0, count * images.Rows * images.Columns).ToArray(), names, images.Columns, images.Rows);
    }

    private static string Require(string folder, string name) =>
        FindFile(folder, name) ?? throw new FileNotFoundException(
            $"Fashion-MNIST file {name}(.gz) was not found in '{folder}'; pass the folder that holds the four IDX files.",
            Path.Combine(folder, name + ".gz"));

    private static string? FindFile(string folder, string name)
    {
        foreach (var candidate in new[] { name + ".gz", name })
        {
            string path = Path.Combine(folder, candidate);
            if (File.Exists(path))
                return path;
        }
        return null;
    }
}
