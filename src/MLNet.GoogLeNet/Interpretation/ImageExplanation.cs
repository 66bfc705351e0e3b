using System.Runtime.InteropServices;
using SkiaSharp;

namespace MLNet.GoogLeNet.Interpretation;

/// <summary>
/// Where the network looked for its answer on one image: a Grad-CAM heatmap for the predicted class (Selvaraju et al.
/// 2017, on the last Inception stage, the feature map before global pooling) and the best classes with their
/// probabilities. Made by <see cref="GoogLeNetTransformer.Explain"/> and <see cref="ModelFile.Explain"/>.
/// </summary>
public sealed class ImageExplanation
{
    private readonly float[] _heatmap;

    internal ImageExplanation(int width, int height, float[] heatmap, IReadOnlyList<string> classNames, float[] probabilities, int top)
    {
        Width = width;
        Height = height;
        _heatmap = heatmap;
        Probabilities = probabilities;
        TopClasses = probabilities.Select((p, c) => new ClassProbability(classNames[c], p))
            .OrderByDescending(x => x.Probability).Take(top).ToArray();
        ExplainedClass = TopClasses[0].ClassName;
    }

    /// <summary>The heatmap's width in pixels.</summary>
    public int Width { get; }

    /// <summary>The heatmap's height in pixels.</summary>
    public int Height { get; }

    /// <summary>
    /// <see cref="Height"/> × <see cref="Width"/> values, row after row from the top left, between 0 and 1: 1 where the
    /// evidence for <see cref="ExplainedClass"/> is strongest, 0 where there is none.
    /// </summary>
    public ReadOnlySpan<float> Heatmap => _heatmap;

    /// <summary>The heatmap value at column <paramref name="x"/>, row <paramref name="y"/>.</summary>
    public float ValueAt(int x, int y) => _heatmap[y * Width + x];

    /// <summary>
    /// The heatmap as a PNG in grey levels, <see cref="Width"/> × <see cref="Height"/> pixels, one per heatmap value:
    /// 0 black, 1 white (the value times 255, rounded).
    /// </summary>
    public byte[] HeatmapPng()
    {
        using var bitmap = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Gray8, SKAlphaType.Opaque));
        var row = new byte[Width];
        for (int y = 0; y < Height; y++)
        {
            for (int x = 0; x < Width; x++)
                row[x] = (byte)Math.Round(Math.Clamp(_heatmap[y * Width + x], 0f, 1f) * 255);
            Marshal.Copy(row, 0, bitmap.GetPixels() + y * bitmap.RowBytes, Width);
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
                         ?? throw new InvalidOperationException($"SkiaSharp could not encode the {Width}×{Height} heatmap as PNG.");
        return data.ToArray();
    }

    /// <summary>The class the heatmap explains: the predicted one.</summary>
    public string ExplainedClass { get; }

    /// <summary>Every class's probability, in the order of the model's <c>Score</c> slots.</summary>
    public IReadOnlyList<float> Probabilities { get; }

    /// <summary>The best classes, most probable first (as many as asked for, at most every class).</summary>
    public IReadOnlyList<ClassProbability> TopClasses { get; }
}

/// <summary>A class and the probability the model gives it.</summary>
public sealed class ClassProbability
{
    internal ClassProbability(string className, float probability)
    {
        ClassName = className;
        Probability = probability;
    }

    /// <summary>The class's name.</summary>
    public string ClassName { get; }

    /// <summary>Its softmax probability, between 0 and 1.</summary>
    public float Probability { get; }
}
