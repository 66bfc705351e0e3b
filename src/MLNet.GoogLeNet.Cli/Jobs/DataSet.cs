using Microsoft.ML;
using MLNet.GoogLeNet.Data;
using Spectre.Console;

namespace MLNet.GoogLeNet.Cli.Jobs;

/// <summary>Training and test data as ML.NET sees them, with the preprocessing that matches their form.</summary>
/// <param name="Train">Training rows (images or image paths, and class names).</param>
/// <param name="Test">Held-out rows.</param>
/// <param name="Classes">The class names in Score-slot order.</param>
/// <param name="Description">One line for the console: what was loaded.</param>
/// <param name="FromFiles">True for an image folder (rows hold paths), false for IDX files (rows hold images).</param>
internal sealed record DataSet(IDataView Train, IDataView Test, IReadOnlyList<string> Classes, string Description, bool FromFiles)
{
    /// <summary>The fraction of each class of an image folder that train holds out, unless told otherwise.</summary>
    public const double DefaultTestFraction = ImageFolderSplit.DefaultTestFraction;

    /// <summary>The seed of the split (and, in train, of the weights and shuffling), unless told otherwise.</summary>
    public const int DefaultSeed = 1;

    /// <summary>
    /// The size and colour of each image of an image folder the run reads (training and test rows), as decoded while
    /// scanning; empty for IDX files, whose images all have one size.
    /// </summary>
    public IReadOnlyList<DecodedImageInfo> Shapes { get; init; } = [];

    /// <summary>The channel count to train on when the command line does not say: 3 for a folder with colour images, else 1.</summary>
    public int Channels => DecodedImageInfo.ChannelsToKeep(Shapes);

    /// <summary>One sentence on the images the preprocessing resizes or turns to grayscale, or null when none.</summary>
    public string? DescribeConversion(int imageSize, int channels) => DecodedImageInfo.DescribeConversion(Shapes, imageSize, channels);

    /// <summary>ML.NET's image transforms for this data: load (for files) → grayscale → resize → pixels → label key.</summary>
    public IEstimator<ITransformer> Preprocessing(MLContext context, int imageSize, int channels) => FromFiles
        ? ImagePreprocessing.FromImagePaths(context, imageSize, channels, Classes)
        : ImagePreprocessing.FromImages(context, imageSize, channels, Classes);

    /// <summary>
    /// Loads <paramref name="folder"/>: the four Fashion-MNIST IDX files (train and t10k splits), or an image folder
    /// with one sub-folder per class, split into training and test parts.
    /// </summary>
    /// <param name="grouping">Image folders: the files kept on one side of the split (--group-by, --group-by-folder), or null.</param>
    public static DataSet Load(string folder, int? trainLimit, int? testLimit, double testFraction,
        BadImagePolicy badImages, long maximumPixels, int seed, ImageGrouping? grouping, IAnsiConsole console)
    {
        if (FashionMnist.IsPresent(folder))
        {
            var train = FashionMnist.Load(folder, FashionMnistSplit.Train, trainLimit);
            var test = FashionMnist.Load(folder, FashionMnistSplit.Test, testLimit);
            return new DataSet(train.ToDataView(), test.ToDataView(), FashionMnist.ClassNames,
                $"Fashion-MNIST from {folder}: {train.Count:N0} training and {test.Count:N0} test images ({train.Width}×{train.Height})", FromFiles: false);
        }
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException(
                $"Data folder '{folder}' does not exist. Pass --data with the folder of the Fashion-MNIST IDX files " +
                $"(sudo apt-get install {DebianFashionMnist.Package} puts them in {DebianFashionMnist.Folder}) " +
                "or an image folder with one sub-folder per class.");

        var scan = ImageFolder.Scan(folder, badImages, maximumPixels);
        foreach (var (path, reason) in scan.BadFiles)
            console.MarkupLine($"[yellow]skipped[/] {Markup.Escape(path)}: {Markup.Escape(reason)}");
        var (allTrain, allTest) = ImageFolderSplit.Split(scan.Images, testFraction, seed, grouping);
        var trainRows = allTrain.Take(trainLimit ?? int.MaxValue).ToList();
        var testRows = allTest.Take(testLimit ?? int.MaxValue).ToList();
        if (testRows.Count == 0)
            throw new InvalidDataException($"Image folder '{folder}' has too few images (or groups) to hold some out for testing (test fraction {testFraction}).");
        // The survey of sizes and colour (what the run resizes and converts, and whether it trains in colour) is of the
        // images the run reads, which --limit and --test-limit may make fewer than the folder's.
        var shapeOf = scan.Images.Select(i => i.ImagePath).Zip(scan.Shapes).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
        var usedShapes = trainRows.Concat(testRows).Select(row => shapeOf[row.ImagePath]).ToList();
        return new DataSet(ImageFolder.ToDataView(trainRows), ImageFolder.ToDataView(testRows), scan.Classes,
            $"Image folder {folder}: {scan.Classes.Count} classes, {trainRows.Count:N0} training and {testRows.Count:N0} test images" +
            (grouping is null ? "" : $" ({DescribeGroups(scan.Images, grouping)} kept together)") +
            (scan.BadFiles.Count > 0 ? $", {scan.BadFiles.Count} unreadable file(s) skipped" : ""), FromFiles: true)
        {
            Shapes = usedShapes,
        };
    }

    /// <summary>
    /// The images to evaluate on: the t10k split of Fashion-MNIST (without reading the training files), or every image of
    /// an image folder — or, with <paramref name="holdoutSplit"/>, only the test part of the seeded split <see cref="Load"/>
    /// makes, to score a model on the images its training run held out.
    /// </summary>
    public static (IDataView Test, string Description) LoadTest(string folder, int? testLimit, double testFraction,
        int seed, bool holdoutSplit, ImageGrouping? grouping, long maximumPixels, IAnsiConsole console)
    {
        if (FashionMnist.IsPresent(folder))
        {
            var test = FashionMnist.Load(folder, FashionMnistSplit.Test, testLimit);
            return (test.ToDataView(), $"Fashion-MNIST from {folder}: {test.Count:N0} test images ({test.Width}×{test.Height})");
        }
        if (holdoutSplit)
        {
            var data = Load(folder, trainLimit: null, testLimit, testFraction, BadImagePolicy.Skip, maximumPixels, seed, grouping, console);
            return (data.Test, data.Description);
        }
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException(
                $"Data folder '{folder}' does not exist. Pass --data with the folder of the Fashion-MNIST IDX files or an image folder with one sub-folder per class.");
        var scan = ImageFolder.Scan(folder, BadImagePolicy.Skip, maximumPixels);
        foreach (var (path, reason) in scan.BadFiles)
            console.MarkupLine($"[yellow]skipped[/] {Markup.Escape(path)}: {Markup.Escape(reason)}");
        var images = scan.Images.Take(testLimit ?? int.MaxValue).ToList();
        if (images.Count == 0)
            throw new InvalidDataException($"Image folder '{folder}' holds no readable images to evaluate.");
        return (ImageFolder.ToDataView(images),
            $"Image folder {folder}: {scan.Classes.Count} classes, all {images.Count:N0} images" +
            (scan.BadFiles.Count > 0 ? $", {scan.BadFiles.Count} unreadable file(s) skipped" : ""));
    }

    /// <summary>"412 groups of 1,900 files by …": how many groups the grouping forms, for the description line.</summary>
    private static string DescribeGroups(IReadOnlyList<ImageFile> images, ImageGrouping grouping)
    {
        var keys = images.Select(i => (i.Label, Key: grouping.KeyOf(i.ImagePath))).ToList();
        int grouped = keys.Count(k => k.Key is not null);
        int groups = keys.Where(k => k.Key is not null).Distinct().Count();
        return $"{groups:N0} groups of {grouped:N0} files by {grouping.Description}" +
            (grouped < keys.Count ? $"; {keys.Count - grouped:N0} files in no group, each alone" : "");
    }
}
