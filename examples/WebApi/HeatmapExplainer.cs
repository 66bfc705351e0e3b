using System.Collections;
using System.Reflection;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Options;
using Microsoft.ML;
using SkiaSharp;

namespace WebApi;

/// <summary>A Grad-CAM heatmap as a grey PNG at the image's size, and the class it explains.</summary>
public sealed record Heatmap(byte[] Png, string ExplainedClass);

/// <summary>
/// Grad-CAM heatmaps for <c>POST /explain</c> with the library's <c>ModelFile.Explain</c>, which rebuilds the served
/// zip's network in TorchSharp from the weights its ONNX scorer holds. The service itself is built from ML.NET and the
/// serving assembly alone: the library is found at run time, when the service was built with it
/// (<c>-p:Heatmaps=true</c>, WebApi.csproj) or runs in a process that has it, so that a service that only predicts
/// carries no TorchSharp or libtorch. Each call rebuilds the network and explains on its own copy, so requests at once
/// never share one (whether one network can explain for two threads at once is not established) and nothing is held
/// between requests; the cost is loading the zip again per heatmap. Whether it can explain is decided once, at start,
/// by explaining a small image: <see cref="Unavailable"/> then says why not.
/// </summary>
public sealed class HeatmapExplainer
{
    /// <summary>The library's entry point, by name: the service does not reference the library at build time.</summary>
    private const string ModelFileType = "MLNet.GoogLeNet.ModelFile, MLNet.GoogLeNet";

    /// <summary>The side of the blank image explained at start to check that the network loads and explains.</summary>
    private const int ProbeSide = 8;

    private readonly string _modelPath;
    private readonly MethodInfo? _explain;

    public HeatmapExplainer(IOptions<ServingOptions> options)
    {
        _modelPath = options.Value.Model;
        if (!options.Value.Explain)
        {
            Unavailable = "the service was started with --Explain false (it scores through ONNX Runtime only)";
            return;
        }
        _explain = Type.GetType(ModelFileType)?.GetMethod("Explain",
            [typeof(MLContext), typeof(string), typeof(IReadOnlyList<string>), typeof(int)]);
        Unavailable = _explain is null
            ? "the library MLNet.GoogLeNet is not part of this service (build it with -p:Heatmaps=true to serve heatmaps)"
            : Probe();
    }

    /// <summary>Why this service gives no heatmaps, in words that end a sentence; null when it does.</summary>
    public string? Unavailable { get; }

    /// <summary>The heatmap of the predicted class for one image file, which the caller has checked (ImageFileCheck).</summary>
    /// <exception cref="InvalidDataException">The file cannot be decoded.</exception>
    public Heatmap Explain(string imagePath)
    {
        if (Unavailable is not null)
            throw new InvalidOperationException($"Heatmaps are not available: {Unavailable}.");
        return ExplainFile(imagePath);
    }

    private Heatmap ExplainFile(string imagePath)
    {
        try
        {
            // ModelFile.Explain(context, zip, files, top) → one ImageExplanation per file.
            var explanations = (IEnumerable)_explain!.Invoke(null, [new MLContext(), _modelPath, new[] { imagePath }, 1])!;
            object explanation = explanations.Cast<object>().Single();
            var type = explanation.GetType();
            return new Heatmap((byte[])type.GetMethod("HeatmapPng")!.Invoke(explanation, null)!,
                (string)type.GetProperty("ExplainedClass")!.GetValue(explanation)!);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }

    private string? Probe()
    {
        string file = Path.Combine(Path.GetTempPath(), $"googlenet-probe-{Guid.NewGuid():N}.png");
        try
        {
            using (var bitmap = new SKBitmap(new SKImageInfo(ProbeSide, ProbeSide, SKColorType.Gray8, SKAlphaType.Opaque)))
            using (var data = bitmap.Encode(SKEncodedImageFormat.Png, 100))
                File.WriteAllBytes(file, data.ToArray());
            ExplainFile(file);
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
