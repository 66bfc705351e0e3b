using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.GoogLeNet.Tests.TestData;

/// <summary>
/// In-memory RGB images of noisy grey, each with one square of its class's colour (red, green, blue or yellow) in a
/// random quarter of the image. The square lies wholly inside its quarter (its centre moves by up to a twelfth of the
/// side around the quarter's centre, its side is a sixth to a quarter of the image's), so what tells the classes
/// apart is known, and so is where it lies.
/// </summary>
public static class ColourSquares
{
    public static readonly string[] Classes = ["red", "green", "blue", "yellow"];

    private static readonly float[][] Colours = [[0.9f, 0.1f, 0.1f], [0.1f, 0.8f, 0.1f], [0.1f, 0.2f, 0.9f], [0.9f, 0.85f, 0.1f]];

    /// <summary>One image: planar RGB pixels in [0, 1] (3 × size × size) and the quarter that holds its square.</summary>
    public sealed class Row
    {
        public string Label { get; set; } = "";
        public float[] Features { get; set; } = [];

        /// <summary>0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right.</summary>
        public int Quarter { get; set; }
    }

    /// <summary><paramref name="perClass"/> images of each class, in turn, <paramref name="size"/> pixels square.</summary>
    public static List<Row> Create(int perClass, int size, int seed)
    {
        var random = new Random(seed);
        var rows = new List<Row>();
        for (int i = 0; i < perClass * Classes.Length; i++)
        {
            int label = i % Classes.Length, quarter = random.Next(4);
            rows.Add(new Row { Label = Classes[label], Quarter = quarter, Features = Draw(Colours[label], quarter, size, random) });
        }
        return rows;
    }

    /// <summary>The quarter of a <paramref name="size"/>-pixel image that pixel (<paramref name="x"/>, <paramref name="y"/>) lies in.</summary>
    public static int QuarterOf(int x, int y, int size) => (y < size / 2 ? 0 : 2) + (x < size / 2 ? 0 : 1);

    /// <summary>The rows as a data view with a Features column of shape (3, size, size), as the image pipeline makes it.</summary>
    public static IDataView Load(MLContext context, List<Row> rows, int size)
    {
        var definition = SchemaDefinition.Create(typeof(Row));
        definition[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3, size, size);
        return context.Data.LoadFromEnumerable(rows, definition);
    }

    private static float[] Draw(float[] colour, int quarter, int size, Random random)
    {
        int plane = size * size;
        var pixels = new float[3 * plane];
        for (int i = 0; i < plane; i++)
        {
            float grey = random.Next(90, 161) / 255f;
            for (int c = 0; c < 3; c++)
                pixels[c * plane + i] = Math.Clamp(grey + random.Next(-12, 13) / 255f, 0, 1);
        }
        int side = random.Next(size / 6, size / 4);
        int centreX = (quarter % 2 == 0 ? size / 4 : 3 * size / 4) + random.Next(-size / 12, size / 12 + 1);
        int centreY = (quarter < 2 ? size / 4 : 3 * size / 4) + random.Next(-size / 12, size / 12 + 1);
        int left = centreX - side / 2, top = centreY - side / 2;
        for (int y = top; y < top + side; y++)
        for (int x = left; x < left + side; x++)
        for (int c = 0; c < 3; c++)
            pixels[c * plane + y * size + x] = Math.Clamp(colour[c] + random.Next(-10, 11) / 255f, 0, 1);
        return pixels;
    }
}
