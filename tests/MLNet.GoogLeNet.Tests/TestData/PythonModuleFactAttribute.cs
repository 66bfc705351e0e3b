using System.Collections.Concurrent;
using System.Diagnostics;

namespace MLNet.GoogLeNet.Tests.TestData;

/// <summary>
/// A fact that needs python3 with a module (Debian's python3-onnx, python3-torch): reported as skipped, with the
/// package to install, where no python3 can import it.
/// </summary>
public sealed class PythonModuleFactAttribute : FactAttribute
{
    public PythonModuleFactAttribute(string module, string debianPackage)
    {
        if (PythonInterpreter.With(module) is null)
            Skip = $"Needs python3 with the '{module}' module (apt-get install {debianPackage}), which is not installed here.";
    }
}

/// <summary>
/// The python3 that can import a module: the one on the PATH, else Debian's (a python3 of pyenv or a virtual
/// environment first on the PATH does not see the modules Debian's packages install).
/// </summary>
public static class PythonInterpreter
{
    private static readonly ConcurrentDictionary<string, string?> Found = new(StringComparer.Ordinal);

    public static string? With(string module) => Found.GetOrAdd(module, m =>
        new[] { "python3", "/usr/bin/python3" }.FirstOrDefault(python => Run(python, ["-c", $"import {m}"]).ExitCode == 0));

    /// <summary>Runs <paramref name="python"/> with <paramref name="arguments"/>; exit code −1 when it cannot start.</summary>
    public static (int ExitCode, string Output, string Error) Run(string python, IEnumerable<string> arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(python, arguments)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            });
            if (process is null)
                return (-1, "", "");
            var error = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output, error.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, "", e.Message);  // no such interpreter
        }
    }
}
