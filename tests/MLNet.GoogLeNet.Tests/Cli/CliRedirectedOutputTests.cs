using MLNet.GoogLeNet.Cli;
using MLNet.GoogLeNet.Tests.TestData;
using Spectre.Console;

namespace MLNet.GoogLeNet.Tests.Cli;

/// <summary>
/// The googlenet program run as its own process with its output going to a pipe, as when it is redirected to a log
/// file: what it prints must read as it does in a terminal.
/// </summary>
public sealed class CliRedirectedOutputTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("googlenet-cli-redirected-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private static string Googlenet => RepositoryPaths.Googlenet;

    [Fact]
    public void Confusion_matrix_keeps_every_class_name_on_one_line_when_output_is_redirected()
    {
        Assert.True(File.Exists(Googlenet), $"{Googlenet} was not built");
        // All ten Fashion-MNIST classes, so that the confusion matrix is wider than the 80 columns a console library
        // assumes when it cannot ask a terminal.
        string data = Path.Combine(_work, "idx");
        WriteTenClassFashionMnist(data, trainCount: 40, testCount: 20);
        string model = Path.Combine(_work, "model.zip");
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        int trained = CliApplication.Run(["train", "--data", data, "--epochs", "1", "--model", model, "--image-size", "32",
            "--width-divisor", "16", "--batch-size", "8", "--optimizer", "adam", "--learning-rate", "0.001", "--init", "kaiming",
            "--no-validation"], console);
        Assert.True(trained == 0, writer.ToString());

        var evaluate = ProcessRunner.RunDotnet(Googlenet, ["evaluate", "--model", model, "--data", data], TimeSpan.FromMinutes(2));
        Assert.True(evaluate.ExitCode == 0, evaluate.Output + evaluate.Error);
        var lines = evaluate.Output.Split('\n');
        // Each class has one row of the table: its name, ten counts and its recall, all on one line.
        foreach (string name in FashionMnist.ClassNames)
        {
            var rows = lines.Where(l => l.TrimStart('│', ' ').StartsWith(name + " ", StringComparison.Ordinal)).ToList();
            Assert.True(rows.Count == 1, $"no single table row starts with '{name}':\n{evaluate.Output}");
            var cells = rows[0].Split('│', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.True(cells.Length == 12, $"the row of '{name}' has {cells.Length} cells, not name + 10 counts + recall:\n{evaluate.Output}");
            Assert.True(double.TryParse(cells[^1], System.Globalization.CultureInfo.InvariantCulture, out double recall) && recall is >= 0 and <= 1,
                $"the row of '{name}' does not end with its recall:\n{evaluate.Output}");
        }
        Assert.Single(lines, l => l.Contains("Ankle boot", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Trim('│', ' ') is "al" or "le" or "boot");
    }

    [Theory]
    [InlineData("train", "--help")]
    [InlineData("evaluate", "-h")]
    [InlineData()]
    public void Help_redirected_to_a_pipe_is_laid_out_in_at_most_100_columns(params string[] args)
    {
        var help = ProcessRunner.RunDotnet(Googlenet, args, TimeSpan.FromMinutes(1));
        var lines = help.Output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.Contains(lines, l => l.TrimStart().StartsWith("-h, --help", StringComparison.Ordinal) || l.Contains("COMMANDS:", StringComparison.Ordinal));
        var widest = lines.MaxBy(l => l.Length)!;
        Assert.True(widest.Length <= 100, $"a line of {widest.Length} columns: '{widest}'");
    }

    /// <summary>Fashion-MNIST IDX files whose labels cycle through all ten classes, drawn as the four test patterns.</summary>
    private static void WriteTenClassFashionMnist(string folder, int trainCount, int testCount)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(7);
        foreach (var (prefix, count) in new[] { ("train", trainCount), ("t10k", testCount) })
        {
            var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
            var drawn = labels.Select(l => PatternImages.Draw(PatternImages.Classes[l % 4], 28, random)).ToArray();
            File.WriteAllBytes(Path.Combine(folder, $"{prefix}-images-idx3-ubyte.gz"), IdxFiles.Gzip(IdxFiles.Images(count, 28, 28, (i, p) => drawn[i][p])));
            File.WriteAllBytes(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte.gz"), IdxFiles.Gzip(IdxFiles.Labels(labels)));
        }
    }
}
