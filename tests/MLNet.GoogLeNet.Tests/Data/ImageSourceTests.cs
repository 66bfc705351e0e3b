using Microsoft.ML;
using Microsoft.ML.Data;
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

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void In_memory_images_split_into_cursor_sets_that_keep_the_serial_order(bool shuffled)
    {
        const int count = 150;  // five blocks of 32 rows, the last one short
        var random = new Random(2);
        var pixels = Enumerable.Range(0, count).SelectMany(i => PatternImages.Draw(PatternImages.Classes[i % 4], 28, random)).ToArray();
        var data = new GrayscaleImages(pixels, Enumerable.Range(0, count).Select(i => PatternImages.Classes[i % 4]).ToArray(), 28, 28).ToDataView();
        Random? Rand() => shuffled ? new Random(5) : null;

        var serial = ReadIds(data.GetRowCursor(data.Schema, Rand())).Select(r => r.Id).ToList();
        var set = data.GetRowCursorSet(data.Schema, 3, Rand());
        Assert.Equal(3, set.Length);
        var parts = set.Select(ReadIds).ToList();
        foreach (var part in parts)
            Assert.Equal(part.Select(r => r.Batch).Order(), part.Select(r => r.Batch));  // batches never go back
        var batchesPerPart = parts.Select(p => p.Select(r => r.Batch).Distinct().ToList()).ToList();
        Assert.Equal(batchesPerPart.Sum(b => b.Count), batchesPerPart.SelectMany(b => b).Distinct().Count());  // a batch lives in one cursor
        // Drawing from the cursor with the smallest batch, as ML.NET's consolidating cursor does, gives the serial order.
        var merged = parts.SelectMany(p => p).OrderBy(r => r.Batch).Select(r => r.Id).ToList();  // OrderBy is stable
        Assert.Equal(serial, merged);
        Assert.Equal(count, serial.Distinct().Count());

        // Through ML.NET's image transforms: they ask for a set and read it on parallel threads; the rows come back in order.
        var ml = new MLContext(1);
        var transformed = ImagePreprocessing.FromImages(ml, imageSize: 32).Fit(data).Transform(data);
        var features = transformed.Schema["Features"];
        var pair = transformed.GetRowCursorSet([features], 2);
        Assert.Equal(2, pair.Length);
        foreach (var cursor in pair) cursor.Dispose();
        using var one = transformed.GetRowCursorSet([features], 1).Single();  // a plain serial cursor
        var expected = new List<float[]>();
        var getter = one.GetGetter<VBuffer<float>>(features);
        var value = default(VBuffer<float>);
        while (one.MoveNext())
        {
            getter(ref value);
            expected.Add(value.DenseValues().ToArray());
        }
        Assert.Equal(expected, transformed.GetColumn<float[]>(features).ToList());
    }

    [Fact]
    public void Image_folder_rows_as_a_data_view_read_like_LoadFromEnumerable_and_split_into_cursor_sets()
    {
        var scan = ImageFolder.Scan(_images.Root);
        var rows = Enumerable.Range(0, 5).SelectMany(_ => scan.Images).ToList();  // 60 rows: two blocks
        var view = ImageFolder.ToDataView(rows);
        var ml = new MLContext(1);
        var enumerable = ml.Data.LoadFromEnumerable(rows);

        Assert.Equal(60, view.GetRowCount());
        Assert.Equal(enumerable.GetColumn<string>("ImagePath"), view.GetColumn<string>("ImagePath"));
        Assert.Equal(enumerable.GetColumn<string>("Label"), view.GetColumn<string>("Label"));
        var set = view.GetRowCursorSet(view.Schema, 4);
        Assert.Equal(2, set.Length);  // no more cursors than blocks
        Assert.Equal(ReadIds(view.GetRowCursor(view.Schema)).Select(r => r.Id), set.SelectMany(ReadIds).OrderBy(r => r.Batch).Select(r => r.Id));

        var preprocessing = ImagePreprocessing.FromImagePaths(ml, imageSize: 32, classes: PatternImages.Classes);
        var fromView = preprocessing.Fit(view).Transform(view).GetColumn<float[]>("Features").ToList();
        var fromEnumerable = preprocessing.Fit(enumerable).Transform(enumerable).GetColumn<float[]>("Features").ToList();
        Assert.Equal(fromEnumerable, fromView);
    }

    private static List<(long Batch, ulong Id)> ReadIds(DataViewRowCursor cursor)
    {
        using (cursor)
        {
            var rows = new List<(long, ulong)>();
            var getId = cursor.GetIdGetter();
            while (cursor.MoveNext())
            {
                var id = default(DataViewRowId);
                getId(ref id);
                rows.Add((cursor.Batch, id.Low));
            }
            return rows;
        }
    }
}
