using System.Reflection;

namespace WebApi;

/// <summary>The upload page served at <c>/</c>, embedded in the assembly (UploadPage.html).</summary>
internal static class UploadPage
{
    public static string Html { get; } = Read();

    private static string Read()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("UploadPage.html")
                           ?? throw new InvalidOperationException("UploadPage.html is not embedded in the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
