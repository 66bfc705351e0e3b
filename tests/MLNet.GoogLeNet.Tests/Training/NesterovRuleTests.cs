using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Tests.TestData;
using MLNet.GoogLeNet.Training;

namespace MLNet.GoogLeNet.Tests.Training;

/// <summary>
/// One rule for Nesterov momentum (GoogLeNetTrainerOptions.UsesNesterov): SGD steps with it whenever Nesterov is asked
/// for and there is momentum to look ahead with; with momentum 0 the step is plain SGD, and --no-nesterov turns it off.
/// </summary>
public sealed class NesterovRuleTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("googlenet-nesterov-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Theory]
    [InlineData(0.9, true, true)]
    [InlineData(0.9, false, false)]
    [InlineData(0.0, true, false)]
    public void The_optimiser_uses_nesterov_exactly_when_asked_and_momentum_is_above_zero(double momentum, bool nesterov, bool expected)
    {
        var options = new GoogLeNetTrainerOptions { Optimizer = OptimizerKind.Sgd, Momentum = momentum, Nesterov = nesterov };
        Assert.Null(options.FindProblem());
        using var network = new GoogLeNetNetwork(new GoogLeNetConfiguration(1, 2, 32, 32, WidthDivisor: 16));
        using var optimizer = TrainingStep.CreateOptimizer(network, options);
        Assert.All(optimizer.ParamGroups.Cast<TorchSharp.Modules.ParamGroup>(),
            group => Assert.Equal(expected, ((TorchSharp.Modules.SGD.Options)group.Options).nesterov));
        Assert.Equal(expected, options.ToString().Contains("(Nesterov)", StringComparison.Ordinal));
    }

    [Fact]
    public void Sgd_with_momentum_zero_trains_from_the_command_line_and_no_nesterov_turns_it_off()
    {
        string data = Path.Combine(_work, "idx");
        IdxFiles.WriteFashionMnist(data, trainCount: 16, testCount: 8);
        string[] tiny = ["train", "--data", data, "--image-size", "32", "--width-divisor", "16", "--batch-size", "8", "--epochs", "1",
            "--no-validation", "--optimizer", "sgd", "--learning-rate", "0.01", "--model", Path.Combine(_work, "model.zip")];

        var (exit, output) = CliRunner.Run([.. tiny, "--momentum", "0"]);
        Assert.True(exit == 0, output);
        Assert.Contains("Sgd learning rate 0.01", output);
        Assert.Contains("momentum 0,", output);

        (exit, output) = CliRunner.Run([.. tiny, "--momentum", "0.9"]);
        Assert.True(exit == 0, output);
        Assert.Contains("momentum 0.9 (Nesterov)", output);

        (exit, output) = CliRunner.Run([.. tiny, "--momentum", "0.9", "--no-nesterov"]);
        Assert.True(exit == 0, output);
        Assert.Contains("momentum 0.9,", output);

        (exit, output) = CliRunner.Run([.. tiny, "--nesterov", "--no-nesterov"]);
        Assert.Equal(2, exit);
        Assert.Contains("--nesterov and --no-nesterov cannot both be given", output);
    }
}
