// Serves a GoogLeNet model zip over HTTP with ML.NET alone:
//   dotnet run --project examples/WebApi -- --Model model.zip [--urls http://localhost:5000]
// POST /predict (multipart form with one file, or the image bytes as the body; ?top=N) → JSON; POST /explain (the same
// upload) → the Grad-CAM heatmap as a PNG when built with the library (-p:Heatmaps=true), else 501 saying why;
// GET /health; GET / (upload page).
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using WebApi;

const string PredictLimit = "predict";

var builder = WebApplication.CreateBuilder(args);
// The settings may be given at the top level (--Model) or under "Serving" (appsettings).
builder.Services.Configure<ServingOptions>(builder.Configuration);
builder.Services.Configure<ServingOptions>(builder.Configuration.GetSection(ServingOptions.Section));
builder.Services.AddSingleton(services => new ImageClassifier(services.GetRequiredService<IOptions<ServingOptions>>().Value));
builder.Services.AddSingleton<UploadReader>();
builder.Services.AddSingleton<HeatmapExplainer>();
// One size limit, MaxUploadBytes: the server's body limit (which also bounds a chunked body, and replaces Kestrel's
// default of 30 MB) and the form's are set from it.
builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<ServingOptions>>((kestrel, serving) =>
    kestrel.Limits.MaxRequestBodySize = UploadReader.BodyLimit(serving.Value.MaxUploadBytes));
builder.Services.AddOptions<FormOptions>().Configure<IOptions<ServingOptions>>((form, serving) =>
    form.MultipartBodyLengthLimit = UploadReader.BodyLimit(serving.Value.MaxUploadBytes));
// Predictions and explanations at once, each with its engine or network and its upload in memory: bounded together
// (an explanation, a forward and a backward pass, costs more than a prediction), and the rest refused before their
// uploads are read.
builder.Services.AddRateLimiter(limiter =>
{
    limiter.RejectionStatusCode = StatusCodes.Status503ServiceUnavailable;
    limiter.AddPolicy(PredictLimit, context => RateLimitPartition.GetConcurrencyLimiter(PredictLimit, _ =>
    {
        var serving = context.RequestServices.GetRequiredService<IOptions<ServingOptions>>().Value;
        return new ConcurrencyLimiterOptions
        {
            PermitLimit = serving.MaxConcurrentPredictions,
            QueueLimit = serving.QueueLength,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        };
    }));
    limiter.OnRejected = async (rejected, cancellation) =>
    {
        var serving = rejected.HttpContext.RequestServices.GetRequiredService<IOptions<ServingOptions>>().Value;
        rejected.HttpContext.Response.Headers.RetryAfter = serving.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        await rejected.HttpContext.Response.WriteAsJsonAsync(new
        {
            error = $"The service is busy: it handles {serving.MaxConcurrentPredictions} predictions at once " +
                    $"(MaxConcurrentPredictions) and {serving.QueueLength} waiting (QueueLength). " +
                    $"Send the image again in {serving.RetryAfterSeconds} s.",
        }, cancellation);
    };
});

var app = builder.Build();
var settings = app.Services.GetRequiredService<IOptions<ServingOptions>>().Value;
if (settings.Problem() is { } problem)
{
    // A usage error: said in one line and exit code 2, before the model is loaded.
    Console.Error.WriteLine(problem);
    return 2;
}
// Load the model now, so that a missing or unreadable zip stops the service at start, with its message.
var classifier = app.Services.GetRequiredService<ImageClassifier>();
app.Logger.LogInformation("Serving {Model}: {Count} classes ({Classes}); at most {Concurrent} predictions at once, {Queue} waiting, uploads up to {Max:N0} bytes",
    classifier.ModelPath, classifier.Classes.Count, string.Join(", ", classifier.Classes), settings.MaxConcurrentPredictions,
    settings.QueueLength, settings.MaxUploadBytes);
var explainer = app.Services.GetRequiredService<HeatmapExplainer>();
if (explainer.Unavailable is { } noHeatmaps)
    app.Logger.LogWarning("No heatmaps: {Reason}", noHeatmaps);

app.UseRateLimiter();

app.MapGet("/", () => Results.Content(UploadPage.Html, "text/html; charset=utf-8"));

app.MapGet("/health", (ImageClassifier model) => Results.Ok(new { status = "ok", model = Path.GetFileName(model.ModelPath), classes = model.Classes }));

app.MapPost("/predict", async (HttpRequest request, int? top, ImageClassifier model, UploadReader uploads, IOptions<ServingOptions> options,
    CancellationToken cancellation) =>
{
    int count = top ?? options.Value.DefaultTop;
    if (count < 1)
        return Results.BadRequest(new { error = $"top must be at least 1; got {count}." });
    return await WithUploadFileAsync(request, uploads, cancellation, (file, length) =>
        model.Predict(file, Math.Min(count, model.Classes.Count)) is { } prediction
            ? Results.Ok(prediction)
            : Results.BadRequest(new { error = NotDecodable(length) }));
}).DisableAntiforgery().RequireRateLimiting(PredictLimit);

app.MapPost("/explain", async (HttpRequest request, HeatmapExplainer explainer, UploadReader uploads, CancellationToken cancellation) =>
{
    // Said before the upload is read: no work for a service that cannot answer.
    if (explainer.Unavailable is { } reason)
        return Results.Json(new { error = $"This service gives no heatmaps: {reason}. POST the image to /predict for the classes." },
            statusCode: StatusCodes.Status501NotImplemented);
    return await WithUploadFileAsync(request, uploads, cancellation, (file, length) =>
    {
        try
        {
            var heatmap = explainer.Explain(file);
            request.HttpContext.Response.Headers["Explained-Class"] = Uri.EscapeDataString(heatmap.ExplainedClass);
            return Results.File(heatmap.Png, "image/png");
        }
        catch (InvalidDataException)
        {
            // ModelFile.Explain inspects the file before anything else: the one thing left to fail here is the image.
            return Results.BadRequest(new { error = NotDecodable(length) });
        }
    });
}).DisableAntiforgery().RequireRateLimiting(PredictLimit);

app.Run();
return 0;

// The zip reads image files (its input schema says so): the checked upload goes to a temporary file, which the zip's
// LoadImages step (or, for a heatmap, the library through the zip's transforms) decodes — the one decoding of the upload.
static async Task<IResult> WithUploadFileAsync(HttpRequest request, UploadReader uploads, CancellationToken cancellation,
    Func<string, int, IResult> answer)
{
    var upload = await uploads.ReadAsync(request, cancellation);
    if (upload.Error is not null)
        return Results.Json(new { error = upload.Error }, statusCode: upload.Status);
    string file = Path.Combine(Path.GetTempPath(), $"googlenet-upload-{Guid.NewGuid():N}");
    try
    {
        await File.WriteAllBytesAsync(file, upload.Bytes!, cancellation);
        return answer(file, upload.Bytes!.Length);
    }
    finally
    {
        File.Delete(file);
    }
}

static string NotDecodable(int length) =>
    $"The upload ({length:N0} bytes) is not an image that can be decoded (png, jpeg, gif or bmp).";

/// <summary>The entry point, visible to the in-process tests (WebApplicationFactory).</summary>
public partial class Program;
