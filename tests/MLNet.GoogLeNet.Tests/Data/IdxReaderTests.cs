using MLNet.GoogLeNet.Data;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-idx-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_images_and_labels_raw_or_gzipped(bool gzip)
    {
        var images = IdxFiles.Images(3, 4, 5, (i, p) => (byte)(10 * i + p));
        var labels = IdxFiles.Labels([7, 0, 9]);
        var read = IdxReader.ReadImages(Write("images", gzip ? IdxFiles.Gzip(images) : images));
        Assert.Equal((3, 4, 5), (read.Count, read.Rows, read.Columns));
        Assert.Equal(new byte[] { 20, 21, 22 }, read.Image(2)[..3].ToArray());
        Assert.Equal(new byte[] { 7, 0, 9 }, IdxReader.ReadLabels(Write("labels", gzip ? IdxFiles.Gzip(labels) : labels)));
    }

    [Fact]
    public void Truncated_file_is_reported_with_the_sizes()
    {
        var images = IdxFiles.Images(3, 4, 5, (_, _) => 1);
        // File names carry none of the words checked for, so the words must come from the message itself.
        string path = Write("a.idx", images[..^7]);
        var error = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Contains($"'{path}'", error.Message);
        // 16 header bytes + 60 pixels, less the 7 cut off.
        Assert.Contains("is truncated: its header announces 3 × 4 × 5 values (76 bytes in all) but it has 69 bytes", error.Message);
    }

    [Fact]
    public void Truncated_header_and_trailing_bytes_are_reported()
    {
        string shortHeader = Write("b.idx", IdxFiles.Images(1, 2, 2, (_, _) => 0)[..10]);
        var error = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(shortHeader));
        Assert.Contains($"'{shortHeader}'", error.Message);
        Assert.Contains("truncated inside its header (10 of 16 bytes)", error.Message);
        string padded = Write("c.idx", [.. IdxFiles.Labels([1, 2]), 0, 0]);
        error = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(padded));
        Assert.Contains($"'{padded}'", error.Message);
        Assert.Contains("2 bytes beyond the 2 values its header announces", error.Message);
    }

    [Fact]
    public void Header_announcing_more_than_the_file_holds_is_refused_before_allocating_it()
    {
        // 2^31 − 1 images of 28 × 28: 1.7 TB announced by a file of 16 bytes plus one image, raw and gzipped.
        var header = IdxFiles.Images(1, 28, 28, (_, _) => 3);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), int.MaxValue);
        string raw = Write("huge.idx", header);
        string gzip = Write("huge.gz", IdxFiles.Gzip(header));
        IdxReader.ReadImages(Write("warm-up.idx", IdxFiles.Images(1, 28, 28, (_, _) => 3)));  // JIT and static data first

        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var rawError = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(raw));
        var gzipError = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(gzip));
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        Assert.Contains($"'{raw}'", rawError.Message);
        Assert.Contains("is truncated: its header announces 2147483647 × 28 × 28 values (1683627179264 bytes in all) but it has 800 bytes", rawError.Message);
        Assert.Contains($"'{gzip}'", gzipError.Message);
        Assert.Contains("2147483647 × 28 × 28 values", gzipError.Message);
        Assert.Contains($"more than a gzip file of {new FileInfo(gzip).Length} bytes can hold", gzipError.Message);
        // The file buffers and the messages, not the announced size (generous: a few hundred kilobytes at most).
        Assert.True(allocated < 1 << 20, $"refusing the two files allocated {allocated:N0} bytes");
    }

    [Fact]
    public void Gzip_that_inflates_far_beyond_its_header_is_refused_without_holding_it_in_memory()
    {
        // One 28 × 28 image announced, followed by 64 MiB of zeros that deflate to a few tens of kilobytes.
        byte[] inflated = new byte[16 + 784 + (64 << 20)];
        IdxFiles.Images(1, 28, 28, (_, p) => (byte)p).CopyTo(inflated, 0);
        string path = Write("bomb.gz", IdxFiles.Gzip(inflated));
        IdxReader.ReadImages(Write("warm-up.gz", IdxFiles.Gzip(IdxFiles.Images(1, 28, 28, (_, _) => 3))));

        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        Assert.Contains($"'{path}'", error.Message);
        Assert.Contains($"it has {64 << 20} bytes beyond the 1 × 28 × 28 values its header announces", error.Message);
        Assert.True(allocated < 1 << 20, $"refusing the file allocated {allocated:N0} bytes");
    }

    [Fact]
    public void Wrong_magic_is_reported()
    {
        string labels = Write("labels", IdxFiles.Labels([1, 2, 3]));
        var error = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(labels));
        Assert.Contains("magic number is 0x00000801, not 0x00000803", error.Message);
        Assert.Contains(labels, error.Message);
    }

    [Fact]
    public void Corrupt_or_truncated_gzip_is_reported()
    {
        byte[] garbage = [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff, .. Enumerable.Range(0, 64).Select(i => (byte)(i * 91 + 7))];
        string corrupt = Write("d.gz", garbage);
        var error = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(corrupt));
        Assert.Contains($"'{corrupt}'", error.Message);
        Assert.Contains("its gzip data is corrupt or truncated", error.Message);

        var gz = IdxFiles.Gzip(IdxFiles.Images(20, 28, 28, (i, p) => (byte)(i * p)));
        string halved = Write("e.gz", gz[..(gz.Length / 2)]);
        error = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(halved));
        Assert.Contains($"'{halved}'", error.Message);
        // gzip streams end without a marker, so half a stream decompresses to the first part of the file: short.
        Assert.Contains("is truncated", error.Message);
    }

    [Fact]
    public void Image_and_label_counts_must_agree()
    {
        File.WriteAllBytes(Path.Combine(_folder, "train-images-idx3-ubyte"), IdxFiles.Images(4, 28, 28, (_, _) => 0));
        File.WriteAllBytes(Path.Combine(_folder, "train-labels-idx1-ubyte"), IdxFiles.Labels([1, 2, 3]));
        var error = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_folder, FashionMnistSplit.Train));
        Assert.Contains("4 images", error.Message);
        Assert.Contains("3 labels", error.Message);
    }

    [Fact]
    public void Missing_files_name_the_file_and_the_folder()
    {
        var error = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(_folder, FashionMnistSplit.Test));
        Assert.Contains("t10k-images-idx3-ubyte", error.Message);
        Assert.Contains(_folder, error.Message);
    }

    [Fact]
    public void Fashion_mnist_split_names_classes_and_honours_the_limit()
    {
        IdxFiles.WriteFashionMnist(_folder, trainCount: 12, testCount: 8);
        Assert.True(FashionMnist.IsPresent(_folder));
        var train = FashionMnist.Load(_folder, FashionMnistSplit.Train, limit: 5);
        Assert.Equal(5, train.Count);
        Assert.Equal(["T-shirt/top", "Trouser", "Pullover", "Dress", "T-shirt/top"], train.Labels);
        Assert.Equal(8, FashionMnist.Load(_folder, FashionMnistSplit.Test).Count);
    }
}
