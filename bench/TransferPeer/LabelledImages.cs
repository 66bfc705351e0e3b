namespace TransferPeer;

/// <summary>One image file and its class, the row both routes start from.</summary>
public sealed class ImageRow
{
    public string ImagePath { get; set; } = "";
    public string Label { get; set; } = "";
}

/// <summary>An image folder as Model Builder lays it out: one sub-folder per class, image files at any depth below it.</summary>
internal static class LabelledImages
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".gif", ".bmp"];

    public static List<ImageRow> Read(string root)
    {
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"Image folder '{root}' does not exist: run bench/colour-images/prepare.sh first.");
        var rows = Directory.GetDirectories(root).Order(StringComparer.Ordinal)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
                .Select(f => new ImageRow { ImagePath = Path.GetFullPath(f), Label = Path.GetFileName(folder) }))
            .ToList();
        if (rows.Count == 0)
            throw new InvalidDataException($"Image folder '{root}' holds no images in class sub-folders.");
        return rows;
    }
}
