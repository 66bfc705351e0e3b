namespace WebApi;

/// <summary>The service's settings, read from configuration (command line <c>--Model model.zip</c>, environment, appsettings).</summary>
public sealed class ServingOptions
{
    /// <summary>The configuration section; the settings can also be given at the top level.</summary>
    public const string Section = "Serving";

    /// <summary>Path of the model zip (required).</summary>
    public string Model { get; set; } = "";

    /// <summary>
    /// The largest image accepted, in bytes; a larger one is answered 413. The server's request body limit is set
    /// from it (with room for a form's boundaries), so it holds for a body sent without a Content-Length (chunked) and
    /// may be raised above Kestrel's own default of 30 MB. Default 10 MiB.
    /// </summary>
    public long MaxUploadBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>How many best classes a prediction lists when the request does not say. Default 3.</summary>
    public int DefaultTop { get; set; } = 3;

    /// <summary>
    /// Predictions handled at once, from reading the upload to the answer. Each holds one prediction engine, so it is
    /// also the most engines the service makes. A request beyond it and the queue is answered 503 with a
    /// <c>Retry-After</c> header before its upload is read. Default: twice the processor count.
    /// </summary>
    public int MaxConcurrentPredictions { get; set; } = Environment.ProcessorCount * 2;

    /// <summary>
    /// Predictions that wait for a free place when <see cref="MaxConcurrentPredictions"/> are running. Default 0: a
    /// busy service answers 503 at once rather than holding connections open, and the client retries.
    /// </summary>
    public int QueueLength { get; set; }

    /// <summary>
    /// Whether <c>POST /explain</c> answers Grad-CAM heatmaps, computed with MLNet.GoogLeNet (TorchSharp, on the CPU)
    /// from the network the zip holds. False serves through ML.NET and ONNX Runtime only: <c>/explain</c> answers 501
    /// and the upload page shows the answer without a heatmap. Default true.
    /// </summary>
    public bool Explain { get; set; } = true;

    /// <summary>The seconds a 503 answer's <c>Retry-After</c> header asks the client to wait. Default 1.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>Why these settings cannot be used, naming the setting and how to set it; null when they can.</summary>
    public string? Problem() =>
        MaxUploadBytes < 1 ? Invalid(nameof(MaxUploadBytes), MaxUploadBytes, 1)
        : MaxConcurrentPredictions < 1 ? Invalid(nameof(MaxConcurrentPredictions), MaxConcurrentPredictions, 1)
        : QueueLength < 0 ? Invalid(nameof(QueueLength), QueueLength, 0)
        : RetryAfterSeconds < 0 ? Invalid(nameof(RetryAfterSeconds), RetryAfterSeconds, 0)
        : null;

    private static string Invalid(string name, long value, int least) =>
        $"{name} is {value}; it must be at least {least}. Set --{name} on the command line, or {Section}:{name} in appsettings.json.";
}
