using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace MLNet.GoogLeNet.Data;

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
    /// (text). It can be shuffled, so training permutes all rows every epoch.
    /// </summary>
    public IDataView ToDataView(string imageColumn = "Image", string labelColumn = "Label") =>
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

    private sealed class View : IDataView
    {
        private readonly GrayscaleImages _images;

        public View(GrayscaleImages images, string imageColumn, string labelColumn)
        {
            _images = images;
            var builder = new DataViewSchema.Builder();
            builder.AddColumn(imageColumn, new ImageDataViewType(images.Height, images.Width));
            builder.AddColumn(labelColumn, TextDataViewType.Instance);
            Schema = builder.ToSchema();
        }

        public DataViewSchema Schema { get; }

        public bool CanShuffle => true;

        public long? GetRowCount() => _images.Count;

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
        {
            var active = columnsNeeded.Select(c => c.Index).ToHashSet();
            int[]? order = null;
            if (rand is not null)
            {
                order = Enumerable.Range(0, _images.Count).ToArray();
                rand.Shuffle(order);
            }
            return new Cursor(this, active, order);
        }

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
            [GetRowCursor(columnsNeeded, rand)];

        private sealed class Cursor(View view, HashSet<int> active, int[]? order) : DataViewRowCursor
        {
            private long _position = -1;
            private int _row = -1;

            public override DataViewSchema Schema => view.Schema;

            public override long Position => _position;

            public override long Batch => 0;

            public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

            public override bool MoveNext()
            {
                if (_position + 1 >= view._images.Count)
                    return false;
                _position++;
                _row = order is null ? (int)_position : order[_position];
                return true;
            }

            public override ValueGetter<DataViewRowId> GetIdGetter() =>
                (ref DataViewRowId id) => id = new DataViewRowId((ulong)_row, 0);

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            {
                if (!IsColumnActive(column))
                    throw new InvalidOperationException($"Column '{column.Name}' was not asked for when the cursor was opened.");
                Delegate getter = column.Index == 0
                    ? (ValueGetter<MLImage>)((ref MLImage image) =>
                    {
                        // The previous image was handed to the caller, which is done with it once it asks for the next.
                        image?.Dispose();
                        image = ToImage(view._images.Image(_row), view._images.Width, view._images.Height);
                    })
                    : (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> label) => label = view._images.Labels[_row].AsMemory());
                return getter as ValueGetter<TValue> ?? throw new InvalidOperationException(
                    $"Column '{column.Name}' is {column.Type}; a getter of {typeof(TValue).Name} was asked for.");
            }
        }
    }
}
