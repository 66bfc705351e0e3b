namespace MLNet.GoogLeNet.Tests.TestData;

/// <summary>
/// An image folder (one sub-folder per class) of noisy mid-grey images: "bright" images hold a bright square, "dark"
/// images a dark one, "plain" images none. The square's corner is drawn at random for each image and recorded, so
/// what tells the classes apart is known and so is where it lies. Its size, offset from the corner and level vary, as
/// does the noise.
/// </summary>
public sealed class CornerImages : IDisposable
{
    public static readonly string[] Classes = ["bright", "dark", "plain"];

    public static readonly string[] Corners = ["top-left", "top-right", "bottom-left", "bottom-right"];

    private CornerImages(string root, List<CornerImage> images)
    {
        Root = root;
        Images = images;
    }

    public string Root { get; }
    public IReadOnlyList<CornerImage> Images { get; }

    /// <summary>Writes <paramref name="perClass"/> images of each class, <paramref name="size"/> pixels square, under a new temporary folder.</summary>
    public static CornerImages Create(int perClass, int size, int seed)
    {
        string root = Directory.CreateTempSubdirectory("googlenet-corners-").FullName;
        var random = new Random(seed);
        var images = new List<CornerImage>();
        foreach (var label in Classes)
        {
            Directory.CreateDirectory(Path.Combine(root, label));
            for (int i = 0; i < perClass; i++)
            {
                string corner = Corners[random.Next(Corners.Length)];
                string path = Path.Combine(root, label, $"{i:D3}.png");
                PatternImages.WritePng(path, Draw(label, corner, size, random), size);
                images.Add(new CornerImage(path, label, corner));
            }
        }
        return new CornerImages(root, images);
    }

    /// <summary>Whether pixel (<paramref name="x"/>, <paramref name="y"/>) of a <paramref name="size"/>-pixel image lies in <paramref name="corner"/>'s quarter.</summary>
    public static bool InQuarter(string corner, int x, int y, int size)
    {
        bool left = x < size / 2, top = y < size / 2;
        return corner switch
        {
            "top-left" => top && left,
            "top-right" => top && !left,
            "bottom-left" => !top && left,
            "bottom-right" => !top && !left,
            _ => throw new ArgumentOutOfRangeException(nameof(corner)),
        };
    }

    private static byte[] Draw(string label, string corner, int size, Random random)
    {
        var pixels = new byte[size * size];
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] = (byte)random.Next(90, 161);
        if (label == "plain")
            return pixels;
        int side = random.Next(size / 5, size / 3), offset = random.Next(2, size / 8);
        int left = corner.EndsWith("left", StringComparison.Ordinal) ? offset : size - offset - side;
        int top = corner.StartsWith("top", StringComparison.Ordinal) ? offset : size - offset - side;
        int level = label == "bright" ? random.Next(220, 256) : random.Next(0, 36);
        for (int y = top; y < top + side; y++)
        for (int x = left; x < left + side; x++)
            pixels[y * size + x] = (byte)Math.Clamp(level + random.Next(-10, 11), 0, 255);
        return pixels;
    }

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

/// <summary>One image of <see cref="CornerImages"/>: its file, its class and the corner its square is in (drawn for plain images too, which have none).</summary>
public sealed record CornerImage(string ImagePath, string Label, string Corner);
