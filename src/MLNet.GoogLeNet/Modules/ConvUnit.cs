using MLNet.GoogLeNet.Export;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// One convolution of GoogLeNet and what follows it: batch normalisation in the batch-normalised architecture, then
/// ReLU (everywhere except the recipe's b2, which the recipe writes without activations). Its fields are its
/// state-dict keys: <c>conv.weight</c>, <c>conv.bias</c> (without normalisation only: a bias before batch
/// normalisation would be cancelled by it), <c>bn.weight</c>, <c>bn.bias</c>, <c>bn.running_mean</c>, <c>bn.running_var</c>.
/// </summary>
/// <remarks>
/// Batch normalisation normalises each channel with the statistics of the current batch while training and with
/// running estimates when scoring (<c>eval()</c>): running = (1 − <see cref="BatchNormMomentum"/>) · running +
/// <see cref="BatchNormMomentum"/> · batch, and <see cref="BatchNormEpsilon"/> is added to the variance. In ONNX the
/// normalisation is a node of its own with the running statistics, so that a network rebuilt from a zip is the one saved.
/// The ReLU works in place on the unit's own output, which nothing else holds (the backward passes of the convolution and
/// the normalisation need their inputs, not this output): one allocation and one pass over memory less per unit, which
/// at small images is a measurable part of a step (docs/performance.md).
/// </remarks>
internal sealed class ConvUnit : Module<Tensor, Tensor>, IOnnxModule
{
    /// <summary>Weight of the newest batch in the running statistics (PyTorch's convention and default).</summary>
    public const double BatchNormMomentum = 0.1;

    /// <summary>Added to the variance before its square root, unless a unit is built with another (PyTorch's default).</summary>
    public const double BatchNormEpsilon = 1e-5;

    private readonly Conv2d conv;
    private readonly BatchNorm2d? bn;
    private readonly ReLU? relu;

    /// <summary>A square <paramref name="kernelSize"/>×<paramref name="kernelSize"/> convolution with the same padding on every side.</summary>
    public ConvUnit(int inputChannels, int outputChannels, int kernelSize, bool batchNorm, bool activation,
        int stride = 1, int padding = 0, double batchNormEpsilon = BatchNormEpsilon)
        : this(inputChannels, outputChannels, (kernelSize, kernelSize), batchNorm, activation, stride, (padding, padding), batchNormEpsilon)
    {
    }

    /// <summary>
    /// A convolution of <paramref name="kernel"/> (height, width) with <paramref name="padding"/> (rows above and below,
    /// columns left and right): the asymmetric 1×n and n×1 convolutions of the factorised Inception blocks.
    /// <paramref name="batchNormEpsilon"/> is added to the variance (default <see cref="BatchNormEpsilon"/>; torchvision's
    /// GoogLeNet uses 0.001).
    /// </summary>
    public ConvUnit(int inputChannels, int outputChannels, (int Height, int Width) kernel, bool batchNorm, bool activation,
        int stride, (int Height, int Width) padding, double batchNormEpsilon = BatchNormEpsilon) : base(nameof(ConvUnit))
    {
        conv = Conv2d(inputChannels, outputChannels, kernel_size: (kernel.Height, kernel.Width), stride: (stride, stride),
            padding: (padding.Height, padding.Width), bias: !batchNorm);
        bn = batchNorm ? BatchNorm2d(outputChannels, eps: batchNormEpsilon, momentum: BatchNormMomentum) : null;
        relu = activation ? ReLU(inplace: true) : null;
        RegisterComponents();
    }

    /// <summary>The convolution.</summary>
    public Conv2d Convolution => conv;

    /// <summary>The batch normalisation after the convolution, or null.</summary>
    public BatchNorm2d? Normalization => bn;

    /// <summary>
    /// Lays the convolution weight out channels-last (<see cref="ConvolutionLayout.ToChannelsLast"/>) or, with false, in
    /// the standard contiguous order. Values and shape stay; the weight <see cref="TorchSharp.Modules.Parameter"/> is replaced when its
    /// layout changes.
    /// </summary>
    public void UseChannelsLast(bool channelsLast)
    {
        var weight = conv.weight;
        if (channelsLast ? ConvolutionLayout.IsChannelsLast(weight) : weight.is_contiguous())
            return;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();  // the intermediate copies; the new Parameter leaves the scope when set
        var relaid = channelsLast ? ConvolutionLayout.ToChannelsLast(weight.detach()) : weight.detach().contiguous();
        conv.weight = new Parameter(relaid, weight.requires_grad);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        // On a CPU: channels-last, whatever the weight's layout; without oneDNN where its kernels are wrong.
        var x = input.device_type == DeviceType.CPU && ConvolutionFault.AvoidOneDnn
            ? GemmConvolution.Forward(conv, input)
            : conv.call(ConvolutionLayout.ForConvolution(input, conv.weight));
        if (bn is not null) x = bn.call(x);
        if (relu is not null) x = relu.call(x);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Conv, then BatchNormalization with the running statistics, then Relu; every initializer is named by its
    /// state-dict key (<c>….conv.weight</c>, <c>….bn.running_var</c>), so the graph holds the whole unit and the
    /// importer's rule (<see cref="OnnxWeightImporter"/>) gives back exactly this unit. ONNX Runtime folds the normalisation
    /// into the convolution when it loads the graph, so scoring costs what a folded graph would (docs/model-zip.md).
    /// </summary>
    public string EmitOnnx(OnnxScope scope, string input, string? output)
    {
        string x = OnnxExporter.EmitConv(scope with { Path = scope.Name(nameof(conv)) }, conv, input,
            bn is null && relu is null ? output : null);
        if (bn is not null)
        {
            var normalization = scope with { Path = scope.Name(nameof(bn)) };
            x = normalization.Node("BatchNormalization", "batchnorm",
                [
                    x, normalization.Initializer("weight", bn.weight!), normalization.Initializer("bias", bn.bias!),
                    normalization.Initializer("running_mean", bn.running_mean!), normalization.Initializer("running_var", bn.running_var!),
                ],
                relu is null ? output : null, [OnnxGraphBuilder.Float("epsilon", (float)bn.eps)]);
        }
        return relu is null ? x : scope.Node("Relu", "relu", [x], output);
    }
}
