using MLNet.GoogLeNet.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// Paths that read the same input side by side, their outputs concatenated on the channel axis in order: the shape
/// shared by the blocks of Inception-v3 (<see cref="FactorizedBlocks"/>), their grid-size reductions and the
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

    private IEnumerable<(string Name, Sequential Path)> Named => paths.Select((p, i) => (PathName(i), p));

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => Concatenate(paths, input);

    /// <summary>Every path on the same input, then Concat on the channel axis, as <see cref="forward"/>.</summary>
    public string EmitOnnx(OnnxScope scope, string input, string? output) => EmitConcatenation(scope, Named, input, output);

    /// <summary>
    /// Every path run on <paramref name="input"/>, the outputs concatenated on the channel axis in order: the forward of
    /// this module and of <see cref="Inception"/>, whose four paths sit on the block itself.
    /// </summary>
    internal static Tensor Concatenate(IEnumerable<Module<Tensor, Tensor>> paths, Tensor input)
    {
        using var scope = NewDisposeScope();
        // (N, C, H, W) → (N, Σ path channels, H', W')
        var output = cat(paths.Select(p => p.call(input)).ToList(), dim: 1);
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>The ONNX of <see cref="Concatenate"/>: each path under its name on the same input, then Concat on axis 1.</summary>
    internal static string EmitConcatenation<TPath>(OnnxScope scope, IEnumerable<(string Name, TPath Path)> paths, string input, string? output)
        where TPath : Module<Tensor, Tensor> =>
        scope.Node("Concat", "concat", paths.Select(p => scope.Child(p.Name, p.Path, input)).ToList(), output,
            [OnnxGraphBuilder.Int("axis", 1)]);
}
