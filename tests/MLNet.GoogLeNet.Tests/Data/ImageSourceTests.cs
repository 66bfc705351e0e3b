using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Data;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Data;

public sealed class ImageSourceTests : IDisposable
{
    private readonly PatternImages _images = PatternImages.Create(trainPerClass: 3, testPerClass: 0, size: 20);

    public void Dispose() => _images.Dispose();

    [Fact]
    public void Image_folder_lists_classes_and_files()
    {
        var scan = ImageFolder.Scan(_images.Root);
        Assert.Equal(PatternImages.Classes.Order(StringComparer.Ordinal), scan.Classes);
        Assert.Equal(12, scan.Images.Count);
        Assert.Empty(scan.BadFiles);
        Assert.All(scan.Images, i => Assert.Equal(Path.GetFileName(Path.GetDirectoryName(i.ImagePath)), i.Label));
    }

    [Fact]
    public void Corrupt_image_is_reported_by_name_and_skipped_or_fatal()
    {
        string corrupt = Path.Combine(_images.Root, "disc", "broken.png");
        File.WriteAllText(corrupt, "this is not a png");
        File.WriteAllText(Path.Combine(_images.Root, "disc", "notes.txt"), "ignored: not an image extension");

        var scan = ImageFolder.Scan(_images.Root, BadImagePolicy.Skip);
        Assert.Equal(12, scan.Images.Count);
        Assert.Equal(corrupt, Assert.Single(scan.BadFiles).Path);

        var error = Assert.Throws<InvalidDataException>(() => ImageFolder.Scan(_images.Root, BadImagePolicy.Fail));
        Assert.Contains(corrupt, error.Message);
    }

    [Fact]
    public void A_folder_with_one_class_is_rejected()
    {
        string root = Directory.CreateTempSubdirectory("googlenet-one-class-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "only"));
            PatternImages.WritePng(Path.Combine(root, "only", "a.png"), new byte[16 * 16], 16);
            var error = Assert.Throws<InvalidDataException>(() => ImageFolder.Scan(root));
            Assert.Contains("found 1 class(es)", error.Message);
            Assert.Throws<DirectoryNotFoundException>(() => ImageFolder.Scan(Path.Combine(root, "missing")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void In_memory_images_survive_several_passes_through_the_image_transforms()
    {
        var random = new Random(1);
        var pixels = Enumerable.Range(0, 6).SelectMany(i => PatternImages.Draw(PatternImages.Classes[i % 4], 28, random)).ToArray();
        var images = new GrayscaleImages(pixels, Enumerable.Range(0, 6).Select(i => PatternImages.Classes[i % 4]).ToArray(), 28, 28);
        var ml = new MLContext(1);
        var data = images.ToDataView();
        var transformed = ImagePreprocessing.FromImages(ml, imageSize: 32).Fit(data).Transform(data);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 1, 32, 32), transformed.Schema["Features"].Type);

        // ML.NET's image transforms dispose the images they read: every pass must get fresh ones.
        var first = transformed.GetColumn<float[]>("Features").ToList();
        var second = transformed.GetColumn<float[]>("Features").ToList();
        Assert.Equal(6, second.Count);
        Assert.Equal(first, second);
        Assert.All(first, f => Assert.InRange(f.Max(), 0.5f, 1f));

        // Shuffled cursors give every row once, in another order.
        using var cursor = data.GetRowCursor(data.Schema, new Random(3));
        var ids = new List<ulong>();
        var getId = cursor.GetIdGetter();
        while (cursor.MoveNext())
        {
            var id = default(DataViewRowId);
            getId(ref id);
            ids.Add(id.Low);
        }
        Assert.Equal(Enumerable.Range(0, 6).Select(i => (ulong)i), ids.Order());
        Assert.NotEqual(Enumerable.Range(0, 6).Select(i => (ulong)i), ids);
    }
}
