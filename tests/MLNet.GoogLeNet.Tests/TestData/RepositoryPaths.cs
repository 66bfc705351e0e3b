namespace MLNet.GoogLeNet.Tests.TestData;

/// <summary>Paths of the repository's other build outputs, found from the test assembly's own folder.</summary>
public static class RepositoryPaths
{
    /// <summary>The folder holding MLNet.GoogLeNet.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The build configuration the tests run under (Debug or Release), read from the output path.</summary>
    public static string Configuration { get; } =
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    /// <summary>The built dll of a project under the repository, for the same configuration as the tests.</summary>
    public static string BuiltAssembly(string projectFolder, string assemblyName) =>
        Path.Combine(Root, projectFolder, "bin", Configuration, "net10.0", assemblyName + ".dll");

    /// <summary>The built googlenet command line (src/MLNet.GoogLeNet.Cli), to run as a process of its own.</summary>
    public static string Googlenet => BuiltAssembly(Path.Combine("src", "MLNet.GoogLeNet.Cli"), "googlenet");

    private static string FindRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "MLNet.GoogLeNet.sln")))
            folder = folder.Parent;
        return folder?.FullName ?? throw new DirectoryNotFoundException("MLNet.GoogLeNet.sln not found above " + AppContext.BaseDirectory);
    }
}
