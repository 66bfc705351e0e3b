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
}
