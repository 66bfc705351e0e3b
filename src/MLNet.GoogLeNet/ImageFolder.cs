using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Data;

namespace MLNet.GoogLeNet;

/// <summary>One labelled image file: the input row of pipelines fed from an image folder (Model Builder's ModelInput).</summary>
public sealed class ImageFile
{
    /// <summary>Full path of the image file.</summary>
    public string ImagePath { get; set; } = "";

    /// <summary>The class: the name of the folder that holds the file.</summary>
    public string Label { get; set; } = "";
}

/// <summary>What to do with an image file that cannot be decoded.</summary>
public enum BadImagePolicy
{
    /// <summary>Report it by name and leave it out.</summary>
    Skip,

    /// <summary>Report every such file by name and stop (throw <see cref="InvalidDataException"/>).</summary>
    Fail,
}

/// <summary>The result of scanning an image folder: the usable files and the ones left out.</summary>
/// <param name="Images">Decodable images with their class names, in path order.</param>
/// <param name="Classes">The class names (sub-folder names) that hold at least one image, sorted.</param>
/// <param name="BadFiles">Files that could not be decoded, with the reason.</param>
public sealed record ImageFolderScan(IReadOnlyList<ImageFile> Images, IReadOnlyList<string> Classes, IReadOnlyList<(string Path, string Reason)> BadFiles)
{
    /// <summary>The size and colour of each of <see cref="Images"/>, in the same order.</summary>
    internal IReadOnlyList<DecodedImageInfo> Shapes { get; init; } = [];

    /// <summary>
    /// The channel count that keeps what the images hold: 3 (RGB) when any image has a pixel in colour, 1 (grayscale)
    /// when none has. Pass it to <see cref="ImagePreprocessing.FromImagePaths"/>.
    /// </summary>
    public int Channels => DecodedImageInfo.ChannelsToKeep(Shapes);

    /// <summary>
    /// One sentence saying which images the preprocessing changes to reach <paramref name="size"/>×<paramref name="size"/>
    /// with <paramref name="channels"/> channel(s), or null when all are already so.
    /// </summary>
    internal string? DescribeConversion(int size, int channels) => DecodedImageInfo.DescribeConversion(Shapes, size, channels);
}

/// <summary>
/// The folder layout Model Builder expects: one sub-folder per class, named after the class, holding png, jpg, jpeg,
/// gif or bmp files. Every file is checked and decoded once while scanning (<see cref="CheckFile(string)"/>), so that an empty,
/// truncated or corrupt image is reported by name here rather than failing in the middle of an epoch — or, worse,
/// training as if it were complete.
/// </summary>
public static class ImageFolder
{
    /// <summary>File extensions read as images (case-insensitive).</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".jpg", ".jpeg", ".gif", ".bmp"];

    /// <summary>Scans <paramref name="root"/>; with <see cref="BadImagePolicy.Skip"/> corrupt files are listed in the result and left out.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">With <see cref="BadImagePolicy.Fail"/>, some files cannot be decoded (all are named);
    /// or the folder holds fewer than two classes with images.</exception>
    // The shipped overload keeps its optional policy, so callers compiled against it still bind; the bound is a new overload.
#pragma warning disable RS0027
    public static ImageFolderScan Scan(string root, BadImagePolicy policy = BadImagePolicy.Skip) =>
        Scan(root, policy, ImageFileCheck.MaximumPixels);
#pragma warning restore RS0027

    /// <summary>
    /// <see cref="Scan(string, BadImagePolicy)"/> refusing images whose header announces more than
    /// <paramref name="maximumPixels"/> pixels instead of <see cref="ImageFileCheck.MaximumPixels"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maximumPixels"/> is not positive.</exception>
    public static ImageFolderScan Scan(string root, BadImagePolicy policy, long maximumPixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maximumPixels);
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"Image folder '{root}' does not exist.");
        var images = new List<ImageFile>();
        var shapes = new List<DecodedImageInfo>();
        var bad = new List<(string, string)>();
        var classes = new List<string>();
        foreach (var classFolder in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            string label = Path.GetFileName(classFolder);
            int kept = 0;
            foreach (var file in ClassFiles(classFolder))
            {
                var (problem, shape) = Inspect(file, maximumPixels);
                if (problem is not null)
                {
                    bad.Add((file, problem));
                    continue;
                }
                images.Add(new ImageFile { ImagePath = Path.GetFullPath(file), Label = label });
                shapes.Add(shape);
                kept++;
            }
            if (kept > 0)
                classes.Add(label);
        }

        if (bad.Count > 0 && policy == BadImagePolicy.Fail)
            throw new InvalidDataException(
                $"{bad.Count} image file(s) under '{root}' cannot be decoded:{Environment.NewLine}" +
                string.Join(Environment.NewLine, bad.Select(b => $"  {b.Item1}: {b.Item2}")));
        if (classes.Count < 2)
            throw new InvalidDataException(
                $"Image folder '{root}' must hold one sub-folder per class with {string.Join("/", Extensions)} files; " +
                $"found {classes.Count} class(es) with images.");
        return new ImageFolderScan(images, classes, bad) { Shapes = shapes };
    }

    /// <summary>The paths of the image files <see cref="Scan(string, BadImagePolicy)"/> looks at under <paramref name="root"/>, without opening them.</summary>
    internal static IEnumerable<string> ImagePaths(string root) =>
        Directory.GetDirectories(root).Order(StringComparer.Ordinal).SelectMany(ClassFiles);

    /// <summary>The image files of one class folder, at any depth, in path order.</summary>
    private static IEnumerable<string> ClassFiles(string classFolder) =>
        Directory.EnumerateFiles(classFolder, "*", SearchOption.AllDirectories)
            .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal);

    /// <summary>
    /// <paramref name="images"/> as a data view with <see cref="ImageFile"/>'s columns, <c>ImagePath</c> and <c>Label</c>
    /// (both text): what <c>LoadFromEnumerable</c> gives, except that ML.NET can read it on parallel cursors, so that
    /// image decoding and the saved model's scoring run on every core. The rows are copied when called.
    /// </summary>
    public static IDataView ToDataView(IEnumerable<ImageFile> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        return new ImageFileView(images.Select(i => (i.ImagePath, i.Label)).ToArray());
    }

    private sealed class ImageFileView((string Path, string Label)[] rows) : PartitionedView(MakeSchema(), rows.Length)
    {
        private static DataViewSchema MakeSchema()
        {
            var builder = new DataViewSchema.Builder();
            builder.AddColumn(nameof(ImageFile.ImagePath), TextDataViewType.Instance);
            builder.AddColumn(nameof(ImageFile.Label), TextDataViewType.Instance);
            return builder.ToSchema();
        }

        protected override Delegate MakeGetter(DataViewSchema.Column column, Func<int> row) => column.Index == 0
            ? (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> path) => path = rows[row()].Path.AsMemory())
            : (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> label) => label = rows[row()].Label.AsMemory());
    }

    /// <summary>
    /// Null when <paramref name="path"/> is a complete image that decodes; otherwise why not, in words: "empty file",
    /// "truncated (…)", "not an image (starts with …)", "corrupt header: …", "corrupt: …" or "cannot be decoded: …".
    /// ML.NET's <c>LoadImages</c> does not check this — its decoder fills the missing part of a cut-off PNG or JPEG with
    /// blank pixels — so check the files of a pipeline that loads images by path before training on them.
    /// </summary>
    /// <remarks>PNG files are checked chunk by chunk (lengths and CRCs) up to IEND, JPEG files segment by segment from
    /// the start to the end-of-image marker, GIF files block by block up to the trailer, BMP files against the sizes in
    /// their header; then the file is decoded.</remarks>
    public static string? CheckFile(string path) => CheckFile(path, ImageFileCheck.MaximumPixels);

    /// <summary>
    /// <see cref="CheckFile(string)"/> refusing an image whose header announces more than <paramref name="maximumPixels"/>
    /// pixels instead of <see cref="ImageFileCheck.MaximumPixels"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maximumPixels"/> is not positive.</exception>
    public static string? CheckFile(string path, long maximumPixels)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maximumPixels);
        return Inspect(path, maximumPixels).Problem;
    }

    /// <summary>The problem with <paramref name="path"/> (null if none) and, when there is none, the image's size and colour.</summary>
    internal static (string? Problem, DecodedImageInfo Shape) Inspect(string path, long maximumPixels)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ("cannot be read: " + e.Message, default);
        }
        if (ImageFileCheck.Problem(bytes, maximumPixels) is { } problem)
            return (problem, default);
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            using var image = MLImage.CreateFromStream(stream);
            return image.Width > 0 && image.Height > 0
                ? (null, new DecodedImageInfo(image.Width, image.Height, HasColour(image.Pixels)))
                : ("cannot be decoded: the decoder gives an empty image", default);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or NotSupportedException)
        {
            return ("cannot be decoded: " + e.Message, default);
        }
    }

    /// <summary>True when some pixel of 4-byte pixels (BGRA or RGBA) has unequal colour channels.</summary>
    private static bool HasColour(ReadOnlySpan<byte> pixels)
    {
        for (int i = 0; i + 2 < pixels.Length; i += 4)
        {
            if (pixels[i] != pixels[i + 1] || pixels[i + 1] != pixels[i + 2])
                return true;
        }
        return false;
    }
}
