using Microsoft.ML;
using MLNet.GoogLeNet.Tests.TestData;
using MLNet.GoogLeNet.Training;

namespace MLNet.GoogLeNet.Tests.Training;

/// <summary>
/// A checkpoint records a fingerprint of its training data, and a resume on other data with the same classes is
/// refused saying what differs (the row count, the labels, the images), while a resume on the same data goes on.
/// </summary>
public sealed class ResumeDataTests : IDisposable
{
    private readonly PatternImages _images = PatternImages.Create(trainPerClass: 3, testPerClass: 0, size: 32, seed: 9);
    private readonly PatternImages _others = PatternImages.Create(trainPerClass: 3, testPerClass: 0, size: 32, seed: 10);
    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-resume-data-").FullName;

    public void Dispose()
    {
        _images.Dispose();
        _others.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private GoogLeNetTransformer Fit(IEnumerable<ImageRow> rows, bool resume)
    {
        var ml = new MLContext(seed: 4);
        var options = new GoogLeNetTrainerOptions
        {
            Epochs = 1, BatchSize = 4, WidthDivisor = 16, Seed = 3,
            CheckpointDirectory = _folder, ResumeFrom = resume ? _folder : null,
        };
        var model = PatternImages.Preprocessing(ml, 32)
            .Append(ml.MulticlassClassification.Trainers.GoogLeNet(ml, options))
            .Fit(ml.Data.LoadFromEnumerable(rows));
        return ((IEnumerable<ITransformer>)model).OfType<GoogLeNetTransformer>().Single();
    }

    private string Refusal(IEnumerable<ImageRow> rows) =>
        Assert.Throws<InvalidOperationException>(() => Fit(rows, resume: true)).Message;

    [Fact]
    public void Resume_on_other_data_with_the_same_classes_is_refused_saying_what_differs()
    {
        using (Fit(_images.Train, resume: false)) { }
        using (var checkpoint = Checkpoint.Read(CheckpointFolder.Resolve(_folder)))
        {
            Assert.Equal(12, checkpoint.Manifest.Data!.Rows);
            Assert.Equal(64, checkpoint.Manifest.Data.Labels.Length);  // SHA-256 in hexadecimal
        }

        // Other images of the same classes, in the same order.
        string images = Refusal(_others.Train);
        Assert.StartsWith($"Cannot resume from checkpoint '{CheckpointFolder.Resolve(_folder)}': it is of a different training run — ", images);
        Assert.Contains("the training data's images differ from the checkpoint's (its first 12 images are other images)", images);

        // The same images, two of other classes swapped (each class still first seen where it was: the same keys).
        var swapped = _images.Train.ToList();
        (swapped[1], swapped[4]) = (swapped[4], swapped[1]);
        Assert.Contains("the training data's labels differ from the checkpoint's (both have 12 rows)", Refusal(swapped));

        // A row fewer.
        Assert.Contains("the training data has 12 labelled rows in the checkpoint and 11 now", Refusal(_images.Train.Take(11)));

        // The same data resumes: the run had ended, so nothing is trained and the model comes back.
        using var resumed = Fit(_images.Train, resume: true);
        Assert.Single(resumed.TrainingHistory);
    }
}
