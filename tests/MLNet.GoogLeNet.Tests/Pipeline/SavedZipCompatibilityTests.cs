using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Pipeline;

/// <summary>
/// Zips saved by an earlier build (TestData/Fixtures: ML.NET 5.0.1, SkiaSharp 2.88.9; its README says how they were
/// made) load with ML.NET alone in this build and give, for the same image files, the scores recorded when they were
/// saved.
/// </summary>
public sealed class SavedZipCompatibilityTests
{
    private const double Tolerance = 1e-5;

    public static TheoryData<string> Zips => new() { SavedZipFixture.PipelineZip, SavedZipFixture.ServingZip };

    [Theory]
    [MemberData(nameof(Zips))]
    public void Zip_saved_by_the_earlier_build_scores_its_images_as_recorded(string zip)
    {
        var expected = SavedZipFixture.ReadExpected();
        var recorded = expected.Zips[zip];
        Assert.Equal(SavedZipFixture.Classes, expected.Classes);
        Assert.Equal(SavedZipFixture.Classes.Select(c => c + ".png").Order(), recorded.Images.Keys.Order());

        var now = SavedZipFixture.Score(Path.Combine(SavedZipFixture.Folder, zip), SavedZipFixture.Folder);

        Assert.Equal(recorded.InputColumns, now.InputColumns);
        foreach (var (image, then) in recorded.Images)
        {
            var score = now.Images[image];
            Assert.Equal(then.Score.Length, score.Score.Length);
            for (int c = 0; c < then.Score.Length; c++)
                Assert.True(Math.Abs(then.Score[c] - score.Score[c]) <= Tolerance,
                    $"{zip}, {image}, class {expected.Classes[c]}: {SavedZipFixture.Format(then.Score[c])} recorded, " +
                    $"{SavedZipFixture.Format(score.Score[c])} now");
            Assert.Equal(then.PredictedLabel, score.PredictedLabel);
        }
    }

    [Fact]
    public void The_recorded_scores_tell_the_images_apart()
    {
        // A fixture whose model gives every image the same scores would pass the comparison above whatever the image
        // steps did to the pixels.
        var images = SavedZipFixture.ReadExpected().Zips[SavedZipFixture.ServingZip].Images.Values.ToList();
        for (int a = 0; a < images.Count; a++)
        for (int b = a + 1; b < images.Count; b++)
            Assert.True(images[a].Score.Zip(images[b].Score).Max(pair => Math.Abs(pair.First - pair.Second)) > 1e-2);
    }

    [Fact]
    public void Zip_saved_by_the_earlier_build_loads_through_ModelFile_with_its_slot_names()
    {
        var model = ModelFile.Load(new MLContext(), Path.Combine(SavedZipFixture.Folder, SavedZipFixture.ServingZip), out var inputSchema);
        using var modelChain = (IDisposable)model;  // the loaded chain deletes its temporary copy of the network when disposed
        Assert.Equal([GoogLeNetColumns.ImagePath], inputSchema.Select(c => c.Name));
        var output = model.GetOutputSchema(inputSchema);
        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        output[GoogLeNetColumns.Score].GetSlotNames(ref slotNames);
        Assert.Equal(SavedZipFixture.Classes, slotNames.DenseValues().Select(v => v.ToString()));
    }
}
