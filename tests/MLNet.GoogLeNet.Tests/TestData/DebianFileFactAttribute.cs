namespace MLNet.GoogLeNet.Tests.TestData;

/// <summary>
/// A fact that needs a file a Debian package installs (data, not code): reported as skipped, with the package to
/// install, where the file is absent.
/// </summary>
public sealed class DebianFileFactAttribute : FactAttribute
{
    public DebianFileFactAttribute(string path, string debianPackage)
    {
        if (!File.Exists(path))
            Skip = $"Needs {path} (apt-get install {debianPackage}), which is not installed here.";
    }
}
