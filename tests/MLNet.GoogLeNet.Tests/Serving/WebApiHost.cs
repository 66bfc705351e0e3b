extern alias WebApi;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Serving;

/// <summary>
/// examples/WebApi hosted in this process on a serving zip of the shared pattern model: in memory (TestServer) for
/// HTTP tests, or on Kestrel at a free port for a browser.
/// </summary>
public sealed class WebApiHost : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("googlenet-webapi-").FullName;

    /// <param name="settings">More service settings by name (ServingOptions), e.g. <c>["QueueLength"] = "30"</c>.</param>
    public WebApiHost(TrainedPatternModel model, long? maxUploadBytes = null, bool kestrel = false,
                      IReadOnlyDictionary<string, string>? settings = null)
    {
        ModelPath = Path.Combine(_folder, "model.zip");
        ModelFile.SaveForServing(model.Context, model.Model, ModelPath);
        Factory = new WebApplicationFactory<WebApi::Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("Model", ModelPath);
            if (maxUploadBytes is { } max)
                builder.UseSetting("MaxUploadBytes", max.ToString(System.Globalization.CultureInfo.InvariantCulture));
            foreach (var (name, value) in settings ?? new Dictionary<string, string>())
                builder.UseSetting(name, value);
        });
        if (kestrel)
        {
            Factory.UseKestrel(0);
            Factory.StartServer();
        }
    }

    public string ModelPath { get; }

    public WebApplicationFactory<WebApi::Program> Factory { get; }

    /// <summary>Where Kestrel listens (only when started with <c>kestrel: true</c>).</summary>
    public Uri Address => new(Factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public void Dispose()
    {
        Factory.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
