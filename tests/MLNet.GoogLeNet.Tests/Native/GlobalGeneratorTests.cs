using Microsoft.ML;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Tests.TestData;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Native;

/// <summary>
/// torch's global random generator is the caller's: building networks, telling a file's architecture, seeded dropout and
/// a whole Fit leave its state as it was (docs/reliability.md). It is process-wide, so these tests run with the other
/// process-wide ones, after the parallel tests and with nothing beside them: any test drawing from it at the same time
/// would move it.
/// </summary>
[Collection(ProcessSettingsTests.Collection)]
public sealed class GlobalGeneratorTests
{
    /// <summary>Runs <paramref name="action"/> and fails naming <paramref name="what"/> if the global generator's state changed.</summary>
    private static void AssertLeavesItAsItWas(string what, Action action)
    {
        using var before = Generator.Default.get_state();
        action();
        using var after = Generator.Default.get_state();
        Assert.True(before.eq(after).all().item<bool>(), $"{what} moved torch's global random generator.");
    }

    [Fact]
    public void Building_every_network_and_telling_a_file_s_architecture_leave_it_as_it_was()
    {
        foreach (var entry in ArchitectureTable.All)
            AssertLeavesItAsItWas($"Building a {entry.Name} network", () =>
            {
                using var network = new GoogLeNetNetwork(new GoogLeNetConfiguration(3, 4, entry.MinimumImageSize, entry.MinimumImageSize, 16, entry.Architecture));
            });

        using var torchvision = new GoogLeNetNetwork(new GoogLeNetConfiguration(3, 4, 32, 32, 16, NetworkArchitecture.GoogLeNetTorchvision));
        var keys = torchvision.state_dict().Keys.ToList();
        ArchitectureEntry? found = null;
        AssertLeavesItAsItWas("Telling a file's architecture by its keys", () => found = ArchitectureByKeys.Find(keys));
        Assert.Equal(NetworkArchitecture.GoogLeNetTorchvision, found?.Architecture);
    }

    [Fact]
    public void A_seeded_dropout_draws_nothing_from_it()
    {
        using var dropout = new SeededDropout(0.2);
        dropout.train();
        dropout.Reseed(7, CPU);
        using var input = ones(64, 64);
        AssertLeavesItAsItWas("A seeded dropout", () =>
        {
            using var output = dropout.call(input);
        });
    }

    [Fact]
    public void A_fit_with_dropout_and_augmentation_leaves_it_as_it_was()
    {
        using var images = PatternImages.Create(trainPerClass: 8, testPerClass: 0, size: 32, seed: 9);
        var ml = new MLContext(seed: 21);
        // torchvision's GoogLeNet and its auxiliary classifiers (dropout 0.2 and 0.7) with the default preset's random
        // translations, for one short epoch.
        var options = new GoogLeNetTrainerOptions
        {
            Epochs = 1,
            BatchSize = 8,
            WidthDivisor = 16,
            Architecture = NetworkArchitecture.GoogLeNetTorchvision,
            TrainAuxiliaryClassifiers = true,
        };
        Assert.Equal(AugmentationKind.Translate, options.Augmentation);
        AssertLeavesItAsItWas("Fit", () =>
        {
            var model = PatternImages.Preprocessing(ml, 32)
                .Append(ml.MulticlassClassification.Trainers.GoogLeNet(ml, options))
                .Fit(ml.Data.LoadFromEnumerable(images.Train));
            foreach (var transformer in ((IEnumerable<ITransformer>)model).OfType<IDisposable>())
                transformer.Dispose();
        });
    }
}
