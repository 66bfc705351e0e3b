namespace MLNet.GoogLeNet.Tests.TestData;

/// <summary>A fact about Linux alone: reported as skipped, with the reason, on other systems.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
            Skip = "Concerns TorchSharp's native loading on Linux only.";
    }
}
