namespace WebApi;

/// <summary>The service's settings, read from configuration (command line <c>--Model model.zip</c>, environment, appsettings).</summary>
public sealed class ServingOptions
{
    /// <summary>The configuration section; the settings can also be given at the top level.</summary>
    public const string Section = "Serving";

    /// <summary>Path of the model zip (required).</summary>
    public string Model { get; set; } = "";

    /// <summary>The largest image accepted, in bytes. Default 10 MiB.</summary>
    public long MaxUploadBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>How many best classes a prediction lists when the request does not say. Default 3.</summary>
    public int DefaultTop { get; set; } = 3;
}
