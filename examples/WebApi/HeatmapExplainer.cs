using Microsoft.Extensions.Options;
using Microsoft.ML;
using MLNet.GoogLeNet;
using SkiaSharp;

namespace WebApi;

/// <summary>A Grad-CAM heatmap as a grey PNG at the image's size, and the class it explains.</summary>
public sealed record Heatmap(byte[] Png, string ExplainedClass);

/// <summary>
/// Grad-CAM heatmaps for <c>POST /explain</c> with <see cref="ModelFile.Explain"/>: the served zip's network rebuilt
/// in TorchSharp from the weights its ONNX scorer holds. Each call rebuilds it and explains on its own copy, so
/// requests at once never share a network (a backward pass writes into the module's autograd state) and nothing is
/// held between requests; the cost is loading the zip again per heatmap. Whether it can explain is decided once, at
/// start, by explaining a small image: <see cref="Unavailable"/> then says why not.
/// </summary>
public sealed class HeatmapExplainer
{
    /// <summary>The side of the blank image explained at start to check that the network loads and explains.</summary>
    private const int ProbeSide = 8;

    private readonly string _modelPath;

    public HeatmapExplainer(IOptions<ServingOptions> options)
    {
        _modelPath = options.Value.Model;
        Unavailable = options.Value.Explain ? Probe(_modelPath) : "the service was started with --Explain false (it scores through ONNX Runtime only)";
    }

    /// <summary>Why this service gives no heatmaps, in words that end a sentence; null when it does.</summary>
    public string? Unavailable { get; }

    /// <summary>The heatmap of the predicted class for one image file, which the caller has checked (ImageFileCheck).</summary>
    public Heatmap Explain(string imagePath)
    {
        if (Unavailable is not null)
            throw new InvalidOperationException($"Heatmaps are not available: {Unavailable}.");
        var explanation = ModelFile.Explain(new MLContext(), _modelPath, [imagePath], top: 1)[0];
        return new Heatmap(explanation.HeatmapPng(), explanation.ExplainedClass);
    }

    private static string? Probe(string modelPath)
    {
        string file = Path.Combine(Path.GetTempPath(), $"googlenet-probe-{Guid.NewGuid():N}.png");
        try
        {
            using (var bitmap = new SKBitmap(new SKImageInfo(ProbeSide, ProbeSide, SKColorType.Gray8, SKAlphaType.Opaque)))
            using (var data = bitmap.Encode(SKEncodedImageFormat.Png, 100))
                File.WriteAllBytes(file, data.ToArray());
            ModelFile.Explain(new MLContext(), modelPath, [file], top: 1);
            return null;
        }
        catch (Exception e) when (e is InvalidDataException or DllNotFoundException or TypeInitializationException or NotSupportedException)
        {
            // A zip this library did not save (no network to rebuild), or libtorch that does not load on this machine.
            return $"the model's network cannot be loaded into TorchSharp ({e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")})";
        }
        finally
        {
            File.Delete(file);
        }
    }
}
