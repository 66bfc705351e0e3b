using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using MLNet.GoogLeNet.Data;

namespace MLNet.GoogLeNet;

/// <summary>
/// Labelled grayscale images held as raw bytes (one byte per pixel), for example a split of Fashion-MNIST, and their
/// view as an ML.NET data view with an <c>Image</c> column (<see cref="MLImage"/>) and a <c>Label</c> column (text).
/// </summary>
/// <remarks>
/// The data view makes a new <see cref="MLImage"/> every time a row's image is read, because ML.NET's image
/// transforms dispose the images they read; images shared between epochs would be gone after the first. Keeping
/// bytes also takes a quarter of the memory of BGRA images.
/// </remarks>
public sealed class GrayscaleImages
{
    /// <param name="pixels">Count × height × width bytes, image after image, row-major.</param>
    /// <param name="labels">The class name of each image.</param>
    /// <param name="width">Width of every image.</param>
    /// <param name="height">Height of every image.</param>
    public GrayscaleImages(byte[] pixels, IReadOnlyList<string> labels, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"Images must have a positive size; got {width}×{height}.");
        if ((long)labels.Count * width * height != pixels.LongLength)
            throw new ArgumentException(
                $"{labels.Count} images of {width}×{height} need {(long)labels.Count * width * height} bytes; got {pixels.LongLength}.", nameof(pixels));
        Pixels = pixels;
        Labels = labels;
        Width = width;
        Height = height;
    }

    /// <summary>All pixels, image after image.</summary>
    public byte[] Pixels { get; }

    /// <summary>The class name of each image.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Image width.</summary>
    public int Width { get; }

    /// <summary>Image height.</summary>
    public int Height { get; }

    /// <summary>Number of images.</summary>
    public int Count => Labels.Count;

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * Width * Height, Width * Height);

    /// <summary>
    /// The images as an ML.NET data view: <c>Image</c> (<see cref="ImageDataViewType"/> of this size) and <c>Label</c>
    /// (text). It can be shuffled, so training permutes all rows every epoch, and ML.NET can read it on parallel
    /// cursors, so that transforms above it (image preprocessing, the saved model's ONNX scorer) run on every core.
    /// </summary>
    public IDataView ToDataView(string imageColumn = GoogLeNetColumns.Image, string labelColumn = GoogLeNetColumns.Label) =>
        new View(this, imageColumn, labelColumn);

    /// <summary>A grayscale image as an ML.NET image (BGRA with equal colour channels).</summary>
    public static MLImage ToImage(ReadOnlySpan<byte> gray, int width, int height)
    {
        var bgra = new byte[gray.Length * 4];
        for (int i = 0; i < gray.Length; i++)
        {
            bgra[4 * i] = bgra[4 * i + 1] = bgra[4 * i + 2] = gray[i];
            bgra[4 * i + 3] = 255;
        }
        return MLImage.CreateFromPixels(width, height, MLPixelFormat.Bgra32, bgra);
    }

    private sealed class View : PartitionedView
    {
        private readonly GrayscaleImages _images;

        public View(GrayscaleImages images, string imageColumn, string labelColumn)
            : base(MakeSchema(images, imageColumn, labelColumn), images.Count)
        {
            _images = images;
        }

        private static DataViewSchema MakeSchema(GrayscaleImages images, string imageColumn, string labelColumn)
        {
            var builder = new DataViewSchema.Builder();
            builder.AddColumn(imageColumn, new ImageDataViewType(images.Height, images.Width));
            builder.AddColumn(labelColumn, TextDataViewType.Instance);
            return builder.ToSchema();
        }

        protected override Delegate MakeGetter(DataViewSchema.Column column, Func<int> row) => column.Index == 0
            ? (ValueGetter<MLImage>)((ref MLImage image) =>
            {
                // The previous image was handed to the caller, which is done with it once it asks for the next.
                image?.Dispose();
                image = ToImage(_images.Image(row()), _images.Width, _images.Height);
            })
            : (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> label) => label = _images.Labels[row()].AsMemory());
    }
}
