using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Cli;

/// <summary>
/// A mistyped option or a value that is not a number is refused by name with exit code 2, before anything runs: a
/// typo is never silently ignored (before, `train --epocs 1` trained the default 10 epochs).
/// </summary>
public sealed class CliUsageErrorTests
{
    [Theory]
    [InlineData("train", "--epocs", "1")]
    [InlineData("evaluate", "--modle", "x.zip")]
    [InlineData("info", "--width-divsor", "4")]
    [InlineData("doctor", "--verbose")]
    public void An_unknown_option_is_refused_by_name(string command, string option, params string[] rest)
    {
        var (exit, output) = CliRunner.Run([command, option, .. rest]);
        Assert.Equal(2, exit);
        Assert.Contains($"Unknown option '{option.TrimStart('-')}'", output);
        Assert.DoesNotContain("epoch 1", output);
    }

    [Theory]
    [InlineData("--epochs", "abc")]
    [InlineData("--learning-rate", "fast")]
    public void A_value_that_is_not_a_number_names_its_option(string option, string value)
    {
        var (exit, output) = CliRunner.Run("train", "--data", "/nonexistent", option, value);
        Assert.Equal(2, exit);
        Assert.Contains($"{option} takes a number, not '{value}' (googlenet train --help lists every option)", output);
        Assert.DoesNotContain("Nullable", output);

        var (joinedExit, joined) = CliRunner.Run("train", "--data", "/nonexistent", $"{option}={value}");
        Assert.Equal(2, joinedExit);
        Assert.Contains($"{option} takes a number, not '{value}'", joined);
    }

    [Theory]
    [InlineData("--image-size must be between 32 and 1024 (got 46341)", "train", "--image-size", "46341")]
    [InlineData("--image-size must be between 32 and 1024 (got 40000)", "info", "--image-size", "40000")]
    [InlineData("--batch-size 300000 at 96×96 needs", "train", "--batch-size", "300000")]
    [InlineData("--test-fraction must be between 0 and 1 (got 5)", "evaluate", "--holdout-split", "--test-fraction", "5")]
    [InlineData("--test-fraction must be between 0 and 1 (got 5)", "train", "--test-fraction", "5")]
    [InlineData("--max-pixels must be at least 1 (got 0)", "train", "--max-pixels", "0")]
    [InlineData("--max-pixels must be at least 1 (got -5)", "evaluate", "--max-pixels", "-5")]
    public void A_size_or_fraction_out_of_bounds_is_refused_before_anything_is_allocated(string message, params string[] args)
    {
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var (exit, output) = CliRunner.Run(args);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Equal(2, exit);
        Assert.Contains(message, output);
        Assert.True(allocated < 64L << 20, $"{allocated >> 20} MiB allocated to refuse {string.Join(' ', args)}");
    }

    [Fact]
    public void A_folder_given_as_the_model_file_is_refused_before_training()
    {
        string folder = Directory.CreateTempSubdirectory("googlenet-model-path-").FullName;
        try
        {
            var (exit, output) = CliRunner.Run("train", "--data", "/nonexistent", "--model", folder);
            Assert.Equal(2, exit);
            Assert.Contains($"--model '{folder}' is a folder", output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
