using Microsoft.ML;
using MLNet.GoogLeNet.Cli.Commands;
using MLNet.GoogLeNet.Cli.Jobs;
using MLNet.GoogLeNet.Tests.TestData;
using Spectre.Console;

namespace MLNet.GoogLeNet.Tests.Cli;

/// <summary>
/// train --group-by REGEX and --group-by-folder: a mistake is refused by option name with exit 2 before any image is
/// read, and a folder whose objects are known is split with no object on both sides.
/// </summary>
public sealed class GroupByOptionTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-group-by-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Two classes of 12 objects with 4 real PNG frames each: root/class/objNN-frame-F.png.</summary>
    private void WriteFrames()
    {
        var random = new Random(1);
        foreach (string label in new[] { "disc", "checker" })
        {
            Directory.CreateDirectory(Path.Combine(_folder, label));
            for (int unit = 0; unit < 12; unit++)
            for (int frame = 0; frame < 4; frame++)
                PatternImages.WritePng(Path.Combine(_folder, label, $"obj{unit:D2}-frame-{frame}.png"), PatternImages.Draw(label, 16, random), 16);
        }
    }

    [Theory]
    [InlineData("train", "(obj", "--group-by: '(obj' is not a regular expression")]
    [InlineData("train", "^unit(\\d+)", "--group-by: grouping by file names by the pattern '^unit(\\d+)' puts none of the 96 image files in a group")]
    [InlineData("evaluate", "(obj", "--group-by: '(obj' is not a regular expression")]
    public void A_bad_pattern_is_refused_naming_group_by_with_exit_2(string command, string pattern, string message)
    {
        WriteFrames();
        string[] extra = command == "evaluate" ? ["--holdout-split"] : ["--epochs", "1"];
        var (exit, output) = CliRunner.Run([command, "--data", _folder, "--group-by", pattern, .. extra]);
        Assert.Equal(2, exit);
        Assert.Contains(message, output);
        Assert.DoesNotContain("epoch 1", output);
        Assert.DoesNotContain("Image folder", output);  // refused before the folder is scanned
    }

    [Fact]
    public void A_pattern_that_groups_nothing_says_what_to_do()
    {
        WriteFrames();
        var (exit, output) = CliRunner.Run("train", "--data", _folder, "--group-by", "^unit");
        Assert.Equal(2, exit);
        Assert.Contains("'obj00-frame-0.png'", output);
        Assert.Contains("give a pattern that matches the part of the file name that the files of one object share", output);
    }

    [Fact]
    public void Both_groupings_at_once_and_a_grouping_without_holdout_split_are_refused()
    {
        WriteFrames();
        var both = CliRunner.Run("train", "--data", _folder, "--group-by", "^(obj\\d+)", "--group-by-folder");
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("--group-by and --group-by-folder cannot both be given", both.Output);

        var evaluate = CliRunner.Run("evaluate", "--data", _folder, "--group-by", "^(obj\\d+)");
        Assert.Equal(2, evaluate.ExitCode);
        Assert.Contains("give --holdout-split too", evaluate.Output);

        var folders = CliRunner.Run("train", "--data", _folder, "--group-by-folder");
        Assert.Equal(2, folders.ExitCode);
        Assert.Contains("--group-by-folder: grouping by the sub-folders of each class folder", folders.Output);
    }

    [Fact]
    public void A_grouping_of_a_fashion_mnist_folder_is_refused()
    {
        IdxFiles.WriteFashionMnist(_folder, trainCount: 20, testCount: 10);
        var (exit, output) = CliRunner.Run("train", "--data", _folder, "--group-by-folder");
        Assert.Equal(2, exit);
        Assert.Contains("holds Fashion-MNIST, whose test split is its own: leave --group-by-folder out", output);
    }

    [Fact]
    public void The_training_data_of_a_grouped_run_shares_no_object_with_its_test_data()
    {
        WriteFrames();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(new StringWriter()) });
        var data = DataSet.Load(_folder, trainLimit: null, testLimit: null, testFraction: 0.25, BadImagePolicy.Fail, ImageFileCheck.MaximumPixels, seed: 1,
            GroupingOptions.Create("^(obj\\d+)-", byFolder: false, _folder), console);

        var context = new MLContext();
        string ObjectOf(string path) => Path.GetFileName(Path.GetDirectoryName(path)) + "/" + Path.GetFileName(path)[..5];
        var train = context.Data.CreateEnumerable<ImageFile>(data.Train, reuseRowObject: false).Select(i => ObjectOf(i.ImagePath)).ToList();
        var test = context.Data.CreateEnumerable<ImageFile>(data.Test, reuseRowObject: false).Select(i => ObjectOf(i.ImagePath)).ToList();
        Assert.Equal(96, train.Count + test.Count);
        Assert.Equal(24, test.Count);  // 3 of 12 objects of 4 frames in each class
        Assert.Empty(train.Intersect(test));
        Assert.Contains("(24 groups of 96 files by file names by the pattern '^(obj\\d+)-' kept together)", data.Description);
    }
}
