namespace MLNet.GoogLeNet.Tests.TestData;

/// <summary>
/// A model zip trained once, by <c>googlenet train</c>, on <see cref="CornerImages"/> at 64×64 with the default preset
/// (GoogLeNet with batch normalisation) and a width-reduced network (channels ÷ 8), for 3 epochs, and a separate folder
/// of test images the model has never seen. Shared by the interpretation tests, which check what the command line and
/// the library write about the model's answers, not how good the answers are.
/// </summary>
public sealed class TrainedCornerModel : IDisposable
{
    public const string Collection = "Trained corner model";
    public const int ImageSize = 64;

    private readonly string _work = Directory.CreateTempSubdirectory("googlenet-corner-model-").FullName;

    public TrainedCornerModel()
    {
        Train = CornerImages.Create(perClass: 24, ImageSize, seed: 1);
        Test = CornerImages.Create(perClass: 12, ImageSize, seed: 2);
        ModelPath = Path.Combine(_work, "corners.zip");
        TrainOutput = CliRunner.Run("train", "--data", Train.Root, "--epochs", "3", "--model", ModelPath, "--architecture", "googlenet-bn",
            "--image-size", ImageSize.ToString(System.Globalization.CultureInfo.InvariantCulture), "--width-divisor", "8",
            "--batch-size", "8", "--seed", "3").Output;
        if (!File.Exists(ModelPath))
            throw new InvalidOperationException($"training the corner model failed:\n{TrainOutput}");
    }

    public CornerImages Train { get; }
    public CornerImages Test { get; }
    public string ModelPath { get; }
    public string TrainOutput { get; }

    /// <summary>A new empty folder under the fixture's temporary folder.</summary>
    public string NewFolder(string name) => Directory.CreateDirectory(Path.Combine(_work, name + "-" + Guid.NewGuid().ToString("N")[..8])).FullName;

    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
        Directory.Delete(_work, recursive: true);
    }
}

/// <summary>Test classes in this collection share one <see cref="TrainedCornerModel"/>.</summary>
[CollectionDefinition(TrainedCornerModel.Collection)]
public sealed class TrainedCornerModelCollection : ICollectionFixture<TrainedCornerModel>;
