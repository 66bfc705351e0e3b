using Microsoft.ML;
using MLNet.GoogLeNet.Tests.Learning;
using MLNet.GoogLeNet.Tests.TestData;
using Xunit.Abstractions;

namespace MLNet.GoogLeNet.Tests.Interpretation;

/// <summary>
/// Whether the heatmap finds what the model looks at: a network trained to tell four colours of square apart, the
/// square in a random quarter of each image (<see cref="ColourSquares"/>), is explained on images it has not seen, and
/// the heatmap's maximum must lie in the square's quarter for most of them. At 128×128 the last Inception stage's map
/// is 4×4, so its cells can tell the quarters apart.
/// </summary>
public sealed class GradCamLocalisationTests(ITestOutputHelper output)
{
    private const int Size = 128;

    // Chance is 0.25. With four classes a network can still recognise one class by the absence of the other three
    // colours, and that class's heatmap has nothing to point at (docs/interpretation.md), so up to a quarter of the
    // images may miss for a reason that is not the heatmap's; the other three classes need a detector of their own.
    private const double RequiredFraction = 0.6;

    /// <summary>The fraction of test images classified right, and the fraction whose heatmap peaks in the square's quarter.</summary>
    internal static readonly LearningCase HeatmapsFindTheSquares = new(
        $"{nameof(GradCamLocalisationTests)}.{nameof(The_heatmap_peaks_in_the_quarter_that_holds_the_square_for_most_test_images)}", seed: 1,
        Localise, LearningBound.AtLeast("classified right", 0.9), LearningBound.AtLeast("peak in the square's quarter", RequiredFraction));

    private static LearningOutcome Localise(int seed)
    {
        var context = new MLContext(seed: seed);
        var train = ColourSquares.Create(perClass: 100, Size, seed: 11);
        var test = ColourSquares.Create(perClass: 24, Size, seed: 101);
        var options = new GoogLeNetTrainerOptions
        {
            Epochs = 12,
            BatchSize = 16,
            Optimizer = OptimizerKind.Adam,
            LearningRate = 0.002,
            WeightDecay = 0,
            LabelSmoothing = 0,
            Augmentation = AugmentationKind.None,
            WidthDivisor = 8,
            Seed = seed,
        };
        var trainView = ColourSquares.Load(context, train, Size);
        var keys = context.Transforms.Conversion.MapValueToKey("Label").Fit(trainView);
        using var model = (GoogLeNetTransformer)context.MulticlassClassification.Trainers.GoogLeNet(context, options)
            .Fit(keys.Transform(trainView));

        var explanations = model.Explain(ColourSquares.Load(context, test, Size), top: 1);

        Assert.Equal(test.Count, explanations.Count);
        int right = 0, found = 0;
        for (int i = 0; i < test.Count; i++)
        {
            var heatmap = explanations[i].Heatmap;
            Assert.Equal(Size * Size, heatmap.Length);
            int peak = 0;
            for (int p = 1; p < heatmap.Length; p++)
                if (heatmap[p] > heatmap[peak])
                    peak = p;
            if (explanations[i].ExplainedClass == test[i].Label)
                right++;
            if (ColourSquares.QuarterOf(peak % Size, peak / Size, Size) == test[i].Quarter)
                found++;
        }
        return new(new Dictionary<string, double>
            {
                ["classified right"] = (double)right / test.Count,
                ["peak in the square's quarter"] = (double)found / test.Count,
            },
            $"{right} of {test.Count} test images classified right; the heatmap's peak in the square's quarter for {found}.");
    }

    [Fact]
    public void The_heatmap_peaks_in_the_quarter_that_holds_the_square_for_most_test_images()
    {
        // Too few images classified right would leave the heatmaps nothing to say.
        var outcome = HeatmapsFindTheSquares.Check();
        output.WriteLine(outcome.Detail);
    }
}
