using System.Diagnostics;
using Spectre.Console;

namespace MLNet.GoogLeNet.Cli.Jobs;

/// <summary>
/// Makes sure the Fashion-MNIST files are present: installs Debian's dataset-fashion-mnist package when they are
/// missing and this process may install packages (root, or password-less sudo); otherwise says exactly what to run.
/// </summary>
internal sealed class DatasetInstaller(IAnsiConsole console)
{
    public void EnsurePresent(string folder, bool allowInstall)
    {
        if (FashionMnist.IsPresent(folder))
            return;
        string command = $"sudo apt-get install -y {DebianFashionMnist.Package}";
        if (folder != DebianFashionMnist.Folder)
            throw new DirectoryNotFoundException(
                $"'{folder}' does not hold the four Fashion-MNIST IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, " +
                "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz).");
        if (!allowInstall || !OperatingSystem.IsLinux() || !File.Exists("/usr/bin/apt-get"))
            throw new FileNotFoundException(
                $"Fashion-MNIST is not installed in {folder}. On Debian or Ubuntu run: {command}  (or pass --data with a folder that holds the IDX files).");

        string[]? prefix = IsRoot() ? [] : CanSudoWithoutPassword() ? ["sudo", "-n"] : null;
        if (prefix is null)
            throw new FileNotFoundException(
                $"Fashion-MNIST is not installed in {folder}, and installing it needs administrator rights. Run: {command}  then run this command again.");

        console.MarkupLine($"Fashion-MNIST is missing; installing Debian's [bold]{DebianFashionMnist.Package}[/] package…");
        Run([.. prefix, "apt-get", "install", "-y", "-q", DebianFashionMnist.Package]);
        if (!FashionMnist.IsPresent(folder))
        {
            Run([.. prefix, "apt-get", "update", "-q"]);
            Run([.. prefix, "apt-get", "install", "-y", "-q", DebianFashionMnist.Package]);
        }
        if (!FashionMnist.IsPresent(folder))
            throw new FileNotFoundException($"Installing {DebianFashionMnist.Package} did not put the IDX files in {folder}. Run: {command}");
    }

    private static bool IsRoot() => Environment.UserName == "root";

    private static bool CanSudoWithoutPassword() => File.Exists("/usr/bin/sudo") && Run(["sudo", "-n", "true"], quiet: true) == 0;

    private static int Run(string[] command, bool quiet = false)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = quiet, RedirectStandardError = quiet };
        foreach (var argument in command.Skip(1))
            start.ArgumentList.Add(argument);
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {command[0]}.");
        process.WaitForExit();
        return process.ExitCode;
    }
}
