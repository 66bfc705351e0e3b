using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace MLNet.GoogLeNet;

/// <summary>
/// The image part of a GoogLeNet pipeline, built from ML.NET's own image transforms: (load) → grayscale for one
/// channel → resize → pixels scaled to [0, 1] as C×H×W planar floats → label to key.
/// </summary>
public static class ImagePreprocessing
{
    /// <summary>
    /// For rows holding an image file path: LoadImages → [ConvertToGrayscale] → ResizeImages → ExtractPixels → MapValueToKey.
    /// </summary>
    /// <param name="context">The MLContext.</param>
    /// <param name="imageSize">Height and width the images are resized to; the recipe uses 96.</param>
    /// <param name="channels">1 (grayscale) or 3 (RGB).</param>
    /// <param name="classes">The class names in the order of the Score slots; null orders them by first appearance.</param>
    /// <param name="pathColumn">Column holding the image file paths.</param>
    /// <param name="labelColumn">Column holding the class names.</param>
    /// <param name="featureColumn">Column the pixels are written to.</param>
    public static IEstimator<ITransformer> FromImagePaths(MLContext context, int imageSize = Modules.GoogLeNetConfiguration.RecipeImageSize, int channels = 1,
        IEnumerable<string>? classes = null, string pathColumn = GoogLeNetColumns.ImagePath, string labelColumn = GoogLeNetColumns.Label, string featureColumn = GoogLeNetColumns.Features)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Transforms.LoadImages(ImageColumn, imageFolder: null, inputColumnName: pathColumn)
            .Append(FromImages(context, imageSize, channels, classes, ImageColumn, labelColumn, featureColumn));
    }

    /// <summary>
    /// For rows holding an image (for example <see cref="GrayscaleImages.ToDataView"/>): [ConvertToGrayscale] → ResizeImages →
    /// ExtractPixels → MapValueToKey.
    /// </summary>
    /// <param name="context">The MLContext.</param>
    /// <param name="imageSize">Height and width the images are resized to; the recipe uses 96.</param>
    /// <param name="channels">1 (grayscale) or 3 (RGB).</param>
    /// <param name="classes">The class names in the order of the Score slots; null orders them by first appearance.</param>
    /// <param name="imageColumn">Column holding the images.</param>
    /// <param name="labelColumn">Column holding the class names.</param>
    /// <param name="featureColumn">Column the pixels are written to.</param>
    public static IEstimator<ITransformer> FromImages(MLContext context, int imageSize = Modules.GoogLeNetConfiguration.RecipeImageSize, int channels = 1,
        IEnumerable<string>? classes = null, string imageColumn = GoogLeNetColumns.Image, string labelColumn = GoogLeNetColumns.Label, string featureColumn = GoogLeNetColumns.Features)
    {
        ArgumentNullException.ThrowIfNull(context);
        var keyData = classes is null ? null : context.Data.LoadFromEnumerable(classes.Select(c => new ClassName { Label = c }).ToArray(),
            RenamedLabel(labelColumn));
        return ImageToPixels(context, imageSize, channels, imageColumn, featureColumn)
            .Append(context.Transforms.Conversion.MapValueToKey(labelColumn, keyData: keyData));
    }

    /// <summary>
    /// For serving a trained model from image files, without a label: LoadImages → [ConvertToGrayscale] → ResizeImages →
    /// ExtractPixels, the same image steps <see cref="FromImagePaths"/> and <see cref="FromImages"/> train with, so a
    /// model trained on in-memory images (IDX files) scores PNG or JPEG files exactly as it scored its training images.
    /// <see cref="ModelFile.SaveForServing"/> saves a trained model behind these steps.
    /// </summary>
    /// <param name="context">The MLContext.</param>
    /// <param name="imageSize">Height and width the images are resized to: the size the model was trained at.</param>
    /// <param name="channels">1 (grayscale) or 3 (RGB).</param>
    /// <param name="pathColumn">Column holding the image file paths.</param>
    /// <param name="featureColumn">Column the pixels are written to.</param>
    public static IEstimator<ITransformer> ForServing(MLContext context, int imageSize, int channels, string pathColumn = GoogLeNetColumns.ImagePath,
        string featureColumn = GoogLeNetColumns.Features)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Transforms.LoadImages(ImageColumn, imageFolder: null, inputColumnName: pathColumn)
            .Append(ImageToPixels(context, imageSize, channels, ImageColumn, featureColumn));
    }

    /// <summary>The column the loaded images go to, between LoadImages and ExtractPixels.</summary>
    private const string ImageColumn = GoogLeNetColumns.Image;

    /// <summary>The image steps every pipeline here shares: [ConvertToGrayscale] → ResizeImages → ExtractPixels (scale 1/255).</summary>
    private static IEstimator<ITransformer> ImageToPixels(MLContext context, int imageSize, int channels, string imageColumn, string featureColumn)
    {
        if (channels is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "Images have 1 (grayscale) or 3 (RGB) channels.");
        if (imageSize < Modules.GoogLeNetConfiguration.MinimumImageSize)
            throw new ArgumentOutOfRangeException(nameof(imageSize), imageSize,
                $"GoogLeNet needs images of at least {Modules.GoogLeNetConfiguration.MinimumImageSize}×{Modules.GoogLeNetConfiguration.MinimumImageSize}.");

        IEstimator<ITransformer> resize = context.Transforms.ResizeImages(imageColumn, imageSize, imageSize);
        if (channels == 1)
            resize = context.Transforms.ConvertToGrayscale(imageColumn).Append(resize);
        // After ConvertToGrayscale the three colour channels are equal: extracting Red gives the one channel.
        return resize.Append(context.Transforms.ExtractPixels(featureColumn, imageColumn,
            channels == 1 ? ImagePixelExtractingEstimator.ColorBits.Red : ImagePixelExtractingEstimator.ColorBits.Rgb,
            scaleImage: 1f / 255));
    }

    private sealed class ClassName
    {
        public string Label { get; set; } = "";
    }

    private static SchemaDefinition RenamedLabel(string labelColumn)
    {
        var schema = SchemaDefinition.Create(typeof(ClassName));
        schema[nameof(ClassName.Label)].ColumnName = labelColumn;
        return schema;
    }
}
