namespace MLNet.GoogLeNet.Bench.Phases;

/// <summary>Images for the benchmark: Fashion-MNIST when installed, else synthetic 28×28 images (same cost to preprocess).</summary>
internal static class BenchData
{
    public static GrayscaleImages Load(string folder, FashionMnistSplit split, int count)
    {
        if (FashionMnist.IsPresent(folder))
            return FashionMnist.Load(folder, split, count);
        var random = new Random(split == FashionMnistSplit.Train ? 1 : 2);
        var pixels = new byte[count * 28 * 28];
        random.NextBytes(pixels);
        return new GrayscaleImages(pixels, Enumerable.Range(0, count).Select(i => FashionMnist.ClassNames[i % 10]).ToArray(), 28, 28);
    }
}
