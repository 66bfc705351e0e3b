using System.Globalization;

namespace MLNet.GoogLeNet.Tests.TestData;

/// <summary>
/// The environment that gives a child process a temporary folder of its own, so that a test can require the folder
/// empty when the process is done: TMPDIR, with what the runtime and ONNX Runtime would otherwise leave there turned
/// off — .NET's diagnostics sockets and ONNX Runtime's telemetry session file (.ses).
/// </summary>
internal static class OwnTemporaryFolder
{
    public static Dictionary<string, string> Environment(string folder) => new()
    {
        ["TMPDIR"] = folder, ["DOTNET_EnableDiagnostics"] = "0", ["ORT_DISABLE_TELEMETRY"] = "1",
    };

    /// <summary>Fails, naming each entry and its size, unless <paramref name="folder"/> is empty.</summary>
    public static void AssertEmpty(string folder, string after)
    {
        var left = new DirectoryInfo(folder).GetFileSystemInfos("*", SearchOption.AllDirectories);
        Assert.True(left.Length == 0, $"{after} left in its temporary folder: " + string.Join(", ",
            left.Select(f => f is FileInfo file
                ? string.Create(CultureInfo.InvariantCulture, $"{f.Name} ({file.Length:N0} bytes)")
                : f.Name + "/")));
    }
}
