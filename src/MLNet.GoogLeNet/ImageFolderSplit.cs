namespace MLNet.GoogLeNet;

/// <summary>
/// The seeded training/test split of an image folder that <c>googlenet train</c> makes: the same fraction of every
/// class held out, and, with an <see cref="ImageGrouping"/>, the files of one group always on the same side.
/// </summary>
public static class ImageFolderSplit
{
    /// <summary>The fraction of each class held out for testing, unless told otherwise: 0.2.</summary>
    public const double DefaultTestFraction = 0.2;

    /// <summary>
    /// Splits <paramref name="images"/>: within each class the groups (single files when <paramref name="grouping"/> is
    /// null, or for files it leaves alone) are shuffled with <paramref name="seed"/>, and each goes to the test side when
    /// that brings the class's test count closer to <paramref name="testFraction"/> of its files (rounded), else to training. The
    /// same images, fraction, seed and grouping give the same split; both sides come out with the classes interleaved.
    /// </summary>
    /// <param name="images">The images, for instance <see cref="ImageFolderScan.Images"/>.</param>
    /// <param name="testFraction">Between 0 and 1 (exclusive). Default <see cref="DefaultTestFraction"/>.</param>
    /// <param name="seed">The shuffle's seed. Default 1.</param>
    /// <param name="grouping">Files that must stay together; default null, every file alone. With large groups the fraction
    /// is kept only as closely as whole groups allow, and a class with a single group goes wholly to training.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="testFraction"/> is not between 0 and 1.</exception>
    /// <exception cref="InvalidDataException"><paramref name="grouping"/> groups none of the files (<see cref="ImageGrouping.FindProblem"/>).</exception>
    public static (IReadOnlyList<ImageFile> Train, IReadOnlyList<ImageFile> Test) Split(IReadOnlyList<ImageFile> images,
        double testFraction = DefaultTestFraction, int seed = 1, ImageGrouping? grouping = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (testFraction is <= 0 or >= 1 || double.IsNaN(testFraction))
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "The test fraction must be between 0 and 1.");
        if (grouping?.FindProblem(images.Select(i => i.ImagePath)) is { } problem)
            throw new InvalidDataException(char.ToUpperInvariant(problem[0]) + problem[1..] + ".");

        var random = new Random(seed);
        var train = new List<ImageFile>();
        var test = new List<ImageFile>();
        foreach (var byClass in images.GroupBy(i => i.Label))
        {
            // A file the grouping leaves alone is keyed by its own path, marked so that no group key can equal it.
            var groups = byClass
                .GroupBy(i => grouping?.KeyOf(i.ImagePath) is { } key ? (Grouped: true, Key: key) : (Grouped: false, Key: i.ImagePath))
                .Select(g => g.ToList())
                .OrderBy(_ => random.Next())
                .ToList();
            int files = groups.Sum(g => g.Count);
            // Rounded first, so that without groups exactly Math.Round(files × fraction) files are held out.
            int target = (int)Math.Round(files * testFraction);
            int held = 0;
            foreach (var group in groups)
            {
                if (Math.Abs(held + group.Count - target) < Math.Abs(held - target))
                {
                    test.AddRange(group);
                    held += group.Count;
                }
                else
                {
                    train.AddRange(group);
                }
            }
        }
        // Interleave the classes so that a prefix (train's --limit) stays balanced.
        return (train.OrderBy(_ => random.Next()).ToList(), test.OrderBy(_ => random.Next()).ToList());
    }
}
