// Serves a GoogLeNet model zip over HTTP with ML.NET alone:
//   dotnet run --project examples/WebApi -- --Model model.zip [--urls http://localhost:5000]
// POST /predict (multipart form with one file, or the image bytes as the body; ?top=N) → JSON; GET /health; GET / (upload page).
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using WebApi;

var builder = WebApplication.CreateBuilder(args);
// The settings may be given at the top level (--Model) or under "Serving" (appsettings).
builder.Services.Configure<ServingOptions>(builder.Configuration);
builder.Services.Configure<ServingOptions>(builder.Configuration.GetSection(ServingOptions.Section));
builder.Services.AddSingleton(services => new ImageClassifier(services.GetRequiredService<IOptions<ServingOptions>>().Value.Model));
builder.Services.AddSingleton<UploadReader>();
builder.Services.AddOptions<FormOptions>().Configure<IOptions<ServingOptions>>((form, serving) =>
    form.MultipartBodyLengthLimit = UploadReader.FormLimit(serving.Value.MaxUploadBytes));

var app = builder.Build();
// Load the model now, so that a missing or unreadable zip stops the service at start, with its message.
var classifier = app.Services.GetRequiredService<ImageClassifier>();
app.Logger.LogInformation("Serving {Model}: {Count} classes ({Classes})", classifier.ModelPath, classifier.Classes.Count,
    string.Join(", ", classifier.Classes));

app.MapGet("/", () => Results.Content(UploadPage.Html, "text/html; charset=utf-8"));

app.MapGet("/health", (ImageClassifier model) => Results.Ok(new { status = "ok", model = Path.GetFileName(model.ModelPath), classes = model.Classes }));

app.MapPost("/predict", async (HttpRequest request, int? top, ImageClassifier model, UploadReader uploads, IOptions<ServingOptions> options,
    CancellationToken cancellation) =>
{
    int count = top ?? options.Value.DefaultTop;
    if (count < 1)
        return Results.BadRequest(new { error = $"top must be at least 1; got {count}." });
    var upload = await uploads.ReadAsync(request, cancellation);
    if (upload.Error is not null)
        return Results.BadRequest(new { error = upload.Error });
    // The zip reads image files (its input schema says so): the checked upload goes to a temporary file for it.
    string file = Path.Combine(Path.GetTempPath(), $"googlenet-upload-{Guid.NewGuid():N}");
    try
    {
        await File.WriteAllBytesAsync(file, upload.Bytes!, cancellation);
        return Results.Ok(model.Predict(file, Math.Min(count, model.Classes.Count)));
    }
    finally
    {
        File.Delete(file);
    }
}).DisableAntiforgery();

app.Run();

/// <summary>The entry point, visible to the in-process tests (WebApplicationFactory).</summary>
public partial class Program;
