using MLNet.GoogLeNet.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// Paths that read the same input side by side, their outputs concatenated on the channel axis in order: the shape
/// shared by the blocks of Inception-v3 (<see cref="InceptionV3Blocks"/>), their grid-size reductions and the
/// branches inside an Inception-ResNet block. Every path must leave the same height and width.
/// </summary>
/// <remarks>The paths are registered as <c>path1</c>, <c>path2</c>, …, the names <see cref="Inception"/> uses.</remarks>
internal sealed class ParallelPaths : Module<Tensor, Tensor>, IOnnxModule
{
    private readonly Sequential[] paths;

    /// <param name="name">Module name.</param>
    /// <param name="paths">The paths in concatenation order; at least two.</param>
    public ParallelPaths(string name, params Sequential[] paths) : base(name)
    {
        if (paths.Length < 2)
            throw new ArgumentException($"A block of parallel paths needs at least two paths; got {paths.Length}.", nameof(paths));
        this.paths = paths;
        for (int i = 0; i < paths.Length; i++)
            register_module(PathName(i), paths[i]);
    }

    private static string PathName(int index) => $"path{index + 1}";

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        // (N, C, H, W) → (N, Σ path channels, H', W')
        var output = cat(paths.Select(p => p.call(input)).ToList(), dim: 1);
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>Every path on the same input, then Concat on the channel axis, as <see cref="forward"/>.</summary>
    public string EmitOnnx(OnnxScope scope, string input, string? output) =>
        scope.Node("Concat", "concat", paths.Select((p, i) => scope.Child(PathName(i), p, input)).ToList(), output,
            [OnnxGraphBuilder.Int("axis", 1)]);
}
