using MLNet.GoogLeNet.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// A residual Inception block (Inception-ResNet, Szegedy et al. 2017): parallel branches, concatenated, projected by a
/// linear 1×1 convolution back to the input's channel count, scaled by a small constant, added to the input, then
/// ReLU: y = relu(x + s · project(branches(x))). State-dict keys: <c>branches.path1…</c>, <c>project.conv.weight</c>,
/// <c>project.conv.bias</c> and the buffer <c>scale</c>.
/// </summary>
/// <remarks>
/// The paper found that networks with many residual Inception blocks "died" early in training unless the residual
/// was scaled down by 0.1 to 0.3 before the addition. The projection has a bias and neither normalisation nor ReLU:
/// the sum, not the residual alone, is what is activated.
/// </remarks>
internal sealed class ResidualInception : Module<Tensor, Tensor>, IOnnxModule
{
    private readonly ParallelPaths branches;
    private readonly ConvUnit project;
    private readonly Tensor scale;
    private readonly ReLU relu;

    /// <param name="name">Module name.</param>
    /// <param name="channels">Channels of the input and the output.</param>
    /// <param name="branches">The Inception branches reading the input.</param>
    /// <param name="branchChannels">Channels of the branches' concatenated output.</param>
    /// <param name="residualScale">The scale s of the residual, in (0, 1].</param>
    public ResidualInception(string name, int channels, ParallelPaths branches, int branchChannels, double residualScale) : base(name)
    {
        if (residualScale is not (> 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(residualScale), residualScale, "The residual scale must be in (0, 1].");
        this.branches = branches;
        project = new ConvUnit(branchChannels, channels, 1, batchNorm: false, activation: false);
        scale = tensor((float)residualScale);
        relu = ReLU();
        RegisterComponents();
    }

    /// <summary>The scale of the residual.</summary>
    public double ResidualScale => scale.item<float>();

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var disposeScope = NewDisposeScope();
        // (N, C, H, W) → branches (N, Σ, H, W) → projection (N, C, H, W), added to the input.
        var residual = project.call(branches.call(input)).mul(scale);
        return relu.call(input.add(residual)).MoveToOuterDisposeScope();
    }

    /// <summary>Branches and projection, then Mul by the scale, Add to the input and Relu, as <see cref="forward"/>.</summary>
    public string EmitOnnx(OnnxScope scope, string input, string? output)
    {
        string projected = scope.Child("project", project, scope.Child("branches", branches, input));
        string scaled = scope.Node("Mul", "mul", [projected, scope.Initializer("scale", scale)]);
        string sum = scope.Node("Add", "add", [input, scaled]);
        return scope.Node("Relu", "relu", [sum], output);
    }
}
