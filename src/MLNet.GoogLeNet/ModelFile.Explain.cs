using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Interpretation;
using TorchSharp;

namespace MLNet.GoogLeNet;

public static partial class ModelFile
{
    /// <summary>Images explained together by <see cref="Explain"/>: small enough to bound the memory of large files.</summary>
    private const int ExplanationBatchSize = 16;

    /// <summary>
    /// Explains a model zip's predictions for image files: a Grad-CAM heatmap for each image's predicted class on the last
    /// Inception stage, stretched over the image (one value per pixel of the file), and the best classes. A zip served
    /// by ONNX Runtime alone scores but cannot explain (Grad-CAM needs gradients): the trained TorchSharp network is
    /// rebuilt here on the CPU from the weights the zip's ONNX scorer holds, and the zip's own transforms (loading,
    /// resizing, pixel extraction) prepare its input, so the explanation is of the network the zip scores with.
    /// </summary>
    /// <param name="context">The ML.NET context that loads the zip.</param>
    /// <param name="path">A model zip saved by this library that takes image paths (<see cref="SaveForServing"/>, <c>googlenet train</c>).</param>
    /// <param name="imageFiles">The images (png, jpg, jpeg, gif, bmp).</param>
    /// <param name="top">How many of the best classes each explanation lists; default <see cref="GoogLeNetTransformer.DefaultExplanationTop"/>.</param>
    /// <returns>One explanation per file, in order; the heatmap has the file's width and height. The network is square
    /// in its input: for an image that is not, the heatmap is the network's view stretched back over the image, which
    /// is exact only when the zip resizes by stretching.</returns>
    /// <exception cref="FileNotFoundException">The zip does not exist.</exception>
    /// <exception cref="InvalidDataException">The zip holds no network this library saved, or takes no image paths, or a file
    /// cannot be used as an image (every such file is named with the reason).</exception>
    public static IReadOnlyList<ImageExplanation> Explain(MLContext context, string path, IReadOnlyList<string> imageFiles,
        int top = GoogLeNetTransformer.DefaultExplanationTop)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(imageFiles);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        var sizes = new List<(int Width, int Height)>();
        var bad = new List<string>();
        foreach (var file in imageFiles)
        {
            var (problem, shape) = ImageFolder.Inspect(file, ImageFileCheck.MaximumPixels);
            if (problem is null)
                sizes.Add((shape.Width, shape.Height));
            else
                bad.Add($"  {file}: {problem}");
        }
        if (bad.Count > 0)
            throw new InvalidDataException(
                $"{bad.Count} of {imageFiles.Count} image file(s) cannot be used:{Environment.NewLine}{string.Join(Environment.NewLine, bad)}");

        var model = Load(context, path, out var inputSchema);
        using var loaded = model as IDisposable;  // its ONNX scorer's temporary copy of the network goes with it
        var input = ServingInput.Find(model, inputSchema);
        var imported = ImportNetwork(path);
        using var network = imported.Network;
        var rows = context.Data.LoadFromEnumerable(imageFiles.Select(f => new ImageFile { ImagePath = Path.GetFullPath(f) }).ToList());
        if (input.PathColumn != GoogLeNetColumns.ImagePath)
            rows = context.Transforms.CopyColumns(input.PathColumn, GoogLeNetColumns.ImagePath).Fit(rows).Transform(rows);
        var prepared = input.Model.Transform(rows);
        if (prepared.Schema.GetColumnOrNull(imported.FeatureColumnName) is null)
            throw new InvalidDataException(
                $"Model file '{path}': its transforms do not produce the column '{imported.FeatureColumnName}' that its network reads.");
        return GoogLeNetTransformer.ExplainFeatures(network, torch.CPU, prepared, imported.FeatureColumnName, imported.ClassNames, top,
            ExplanationBatchSize, i => sizes[i]);
    }
}
