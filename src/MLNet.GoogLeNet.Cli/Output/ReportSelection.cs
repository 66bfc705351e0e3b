using MLNet.GoogLeNet.Cli.Jobs;

namespace MLNet.GoogLeNet.Cli.Output;

/// <summary>
/// Which scored images <c>report.html</c> shows, so that it stays small however large the test set: the top losses,
/// a bounded number per confusion-matrix cell and per class gallery, and the most confused pairs of classes. Images
/// whose label the model was not trained on have no loss and are not shown.
/// </summary>
internal sealed class ReportSelection
{
    /// <summary>Images listed as top losses.</summary>
    public const int TopLossCount = 16;

    /// <summary>Images shown per confusion-matrix cell, and per side (right, wrong) of each class's gallery.</summary>
    public const int PerGroup = 8;

    /// <summary>Pairs of classes listed as most confused.</summary>
    public const int PairCount = 10;

    public ReportSelection(IReadOnlyList<ScoredImage> images, int classCount)
    {
        var known = images.Where(i => i.Label is not null).ToList();
        // Highest loss first; the row breaks ties so that the choice does not depend on the order threads read rows in.
        var byLoss = known.OrderByDescending(i => i.Loss).ThenBy(i => i.Row).ToList();
        TopLosses = byLoss.Take(TopLossCount).ToList();
        Cells = byLoss.GroupBy(i => (i.TrueClass, i.Predicted)).ToDictionary(g => g.Key, g => (IReadOnlyList<ScoredImage>)g.Take(PerGroup).ToList());
        Right = Enumerable.Range(0, classCount).Select(c => (IReadOnlyList<ScoredImage>)byLoss.Where(i => i.TrueClass == c && i.Predicted == c)
            .Reverse().Take(PerGroup).ToList()).ToList();
        Wrong = Enumerable.Range(0, classCount).Select(c => (IReadOnlyList<ScoredImage>)byLoss.Where(i => i.TrueClass == c && i.Predicted != c)
            .Take(PerGroup).ToList()).ToList();
        Counts = new long[classCount, classCount];
        foreach (var image in known)
            Counts[image.TrueClass, image.Predicted]++;
        Pairs = known.Where(i => i.TrueClass != i.Predicted).GroupBy(i => (i.TrueClass, i.Predicted))
            .Select(g => (Actual: g.Key.TrueClass, Predicted: g.Key.Predicted, Count: g.Count()))
            .OrderByDescending(p => p.Count).ThenBy(p => p.Actual).ThenBy(p => p.Predicted).Take(PairCount).ToList();
    }

    /// <summary>The confusion matrix of the images shown from: [actual, predicted] counts.</summary>
    public long[,] Counts { get; }

    /// <summary>The images with the highest loss (−log p(true class)), highest first.</summary>
    public IReadOnlyList<ScoredImage> TopLosses { get; }

    /// <summary>Per (actual, predicted) cell, its images with the highest loss first.</summary>
    public IReadOnlyDictionary<(int Actual, int Predicted), IReadOnlyList<ScoredImage>> Cells { get; }

    /// <summary>Per class, its images predicted right, the most confident first.</summary>
    public IReadOnlyList<IReadOnlyList<ScoredImage>> Right { get; }

    /// <summary>Per class, its images predicted wrong, the highest loss first.</summary>
    public IReadOnlyList<IReadOnlyList<ScoredImage>> Wrong { get; }

    /// <summary>The (actual, predicted) pairs of different classes with the most images, most first.</summary>
    public IReadOnlyList<(int Actual, int Predicted, int Count)> Pairs { get; }

    /// <summary>Every image the report shows, once.</summary>
    public IEnumerable<ScoredImage> Shown =>
        TopLosses.Concat(Cells.Values.SelectMany(c => c)).Concat(Right.SelectMany(r => r)).Concat(Wrong.SelectMany(w => w)).DistinctBy(i => i.Row);
}
