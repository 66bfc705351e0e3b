using MLNet.GoogLeNet.Export;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// An Inception block whose modules sit side by side in the block itself under the names its reference implementation
/// gives them — torchvision's Inception-v3 writes <c>branch1x1</c>, <c>branch5x5_1</c>, <c>branch5x5_2</c>, … as
/// fields of one block and wires them in its forward — so that the state-dict keys are those names
/// (<c>Mixed_5b.branch5x5_2.conv.weight</c>). The wiring is data: each branch a chain of links, each link one module,
/// or several run on the link's input with their outputs concatenated on the channel axis (InceptionE's 1×3 beside
/// 3×1); the branches' outputs are concatenated in order.
/// </summary>
/// <remarks>
/// A pooling layer, which torchvision calls as a function, is a module here too, so that <see cref="forward"/> and the
/// ONNX graph walk one description; it has no weights, so its name adds no keys.
/// </remarks>
internal sealed class NamedBranches : Module<Tensor, Tensor>, IOnnxModule
{
    private readonly (string Name, Module<Tensor, Tensor> Module)[][][] branches;

    /// <param name="name">Module name.</param>
    /// <param name="branches">The branches in concatenation order, each a chain of links (<see cref="Link"/>,
    /// <see cref="SideBySide"/>); at least two, and every module name used once.</param>
    public NamedBranches(string name, params (string Name, Module<Tensor, Tensor> Module)[][][] branches) : base(name)
    {
        if (branches.Length < 2 || branches.Any(branch => branch.Length == 0))
            throw new ArgumentException($"Block {name} needs at least two branches, each with a module.", nameof(branches));
        this.branches = branches;
        foreach (var (moduleName, module) in branches.SelectMany(branch => branch).SelectMany(link => link))
            register_module(moduleName, module);  // throws for a name used twice
    }

    /// <summary>A link of one module.</summary>
    public static (string Name, Module<Tensor, Tensor> Module)[] Link(string name, Module<Tensor, Tensor> module) => [(name, module)];

    /// <summary>A link of modules on the same input, their outputs concatenated on the channel axis in order.</summary>
    public static (string Name, Module<Tensor, Tensor> Module)[] SideBySide(params (string Name, Module<Tensor, Tensor> Module)[] modules) => modules;

    /// <summary>(N, C, H, W) → (N, Σ branch channels, H', W'): every branch on the input, concatenated.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var outputs = new List<Tensor>(branches.Length);
        foreach (var branch in branches)
        {
            var x = input;
            foreach (var link in branch)
                x = link.Length == 1 ? link[0].Module.call(x) : cat(link.Select(m => m.Module.call(x)).ToList(), dim: 1);
            outputs.Add(x);
        }
        return cat(outputs, dim: 1).MoveToOuterDisposeScope();
    }

    /// <summary>The same wiring as <see cref="forward"/>: each module under its name, a Concat on axis 1 for each link of
    /// several modules, then one for the branches.</summary>
    public string EmitOnnx(OnnxScope scope, string input, string? output)
    {
        var outputs = new List<string>(branches.Length);
        for (int b = 0; b < branches.Length; b++)
        {
            string x = input;
            for (int l = 0; l < branches[b].Length; l++)
            {
                var link = branches[b][l];
                string from = x;
                x = link.Length == 1 ? scope.Child(link[0].Name, link[0].Module, from)
                    : scope.Node("Concat", $"concat{b + 1}_{l + 1}", link.Select(m => scope.Child(m.Name, m.Module, from)).ToList(), null,
                        [OnnxGraphBuilder.Int("axis", 1)]);
            }
            outputs.Add(x);
        }
        return scope.Node("Concat", "concat", outputs, output, [OnnxGraphBuilder.Int("axis", 1)]);
    }
}
