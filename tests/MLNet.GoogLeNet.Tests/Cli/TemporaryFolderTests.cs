using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Cli;

/// <summary>
/// What the googlenet program leaves in the temporary folder: nothing. ML.NET's ONNX scorer copies the network into a
/// file there (about 24 MB at full width) and deletes it only when the model holding it is disposed, so a command that
/// saves or loads a zip without disposing leaves one behind at every run (and ML.NET's scorer made from a stream never
/// deletes its copy: the library does not make one so). Each command runs as its own process with a temporary folder
/// of its own (<see cref="OwnTemporaryFolder"/>).
/// </summary>
public sealed class TemporaryFolderTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("googlenet-cli-temporary-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private static string Googlenet => RepositoryPaths.Googlenet;

    [Fact]
    public void Train_evaluate_predict_and_explain_leave_nothing_in_the_temporary_folder()
    {
        Assert.True(File.Exists(Googlenet), $"{Googlenet} was not built");
        using var images = PatternImages.Create(trainPerClass: 6, testPerClass: 0, size: 36);
        string model = Path.Combine(_work, "model.zip");
        string temporary = Directory.CreateDirectory(Path.Combine(_work, "tmp")).FullName;
        var environment = OwnTemporaryFolder.Environment(temporary).ToDictionary(e => e.Key, e => (string?)e.Value);

        void RunLeavingNothing(params string[] arguments)
        {
            var result = ProcessRunner.Dotnet([Googlenet, .. arguments], TimeSpan.FromMinutes(3), _work, environment);
            Assert.True(result.ExitCode == 0, $"googlenet {arguments[0]} exited with {result.ExitCode}:\n{result.Output}{result.Error}");
            OwnTemporaryFolder.AssertEmpty(temporary, $"googlenet {arguments[0]}");
        }

        RunLeavingNothing("train", "--data", images.Root, "--epochs", "1", "--model", model, "--image-size", "32", "--width-divisor", "8",
            "--batch-size", "8");
        Assert.True(File.Exists(model), "train wrote no model");
        RunLeavingNothing("evaluate", "--model", model, "--data", images.Root);
        RunLeavingNothing("predict", model, images.Train[0].ImagePath);
        RunLeavingNothing("predict", model, images.Train[0].ImagePath, "--explain", Path.Combine(_work, "heatmaps"));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(_work, "heatmaps")));
    }
}
