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
/// normalisation is folded into the convolution's weight and bias, which is exact for scoring.
/// </remarks>
internal sealed class ConvUnit : Module<Tensor, Tensor>, IOnnxModule, IOnnxImportable
{
    /// <summary>Weight of the newest batch in the running statistics (PyTorch's convention and default).</summary>
    public const double BatchNormMomentum = 0.1;

    /// <summary>Added to the variance before its square root (PyTorch's default).</summary>
    public const double BatchNormEpsilon = 1e-5;

    private readonly Conv2d conv;
    private readonly BatchNorm2d? bn;
    private readonly ReLU? relu;

    /// <summary>A square <paramref name="kernelSize"/>×<paramref name="kernelSize"/> convolution with the same padding on every side.</summary>
    public ConvUnit(int inputChannels, int outputChannels, int kernelSize, bool batchNorm, bool activation,
        int stride = 1, int padding = 0)
        : this(inputChannels, outputChannels, (kernelSize, kernelSize), batchNorm, activation, stride, (padding, padding))
    {
    }

    /// <summary>
    /// A convolution of <paramref name="kernel"/> (height, width) with <paramref name="padding"/> (rows above and below,
    /// columns left and right): the asymmetric 1×n and n×1 convolutions of the factorised Inception blocks.
    /// </summary>
    public ConvUnit(int inputChannels, int outputChannels, (int Height, int Width) kernel, bool batchNorm, bool activation,
        int stride, (int Height, int Width) padding) : base(nameof(ConvUnit))
    {
        conv = Conv2d(inputChannels, outputChannels, kernel_size: (kernel.Height, kernel.Width), stride: (stride, stride),
            padding: (padding.Height, padding.Width), bias: !batchNorm);
        bn = batchNorm ? BatchNorm2d(outputChannels, eps: BatchNormEpsilon, momentum: BatchNormMomentum) : null;
        relu = activation ? ReLU() : null;
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
        var x = conv.call(ConvolutionLayout.ForConvolution(input, conv.weight));  // channels-last on a CPU, whatever the weight's layout
        if (bn is not null) x = bn.call(x);
        if (relu is not null) x = relu.call(x);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Conv (with the normalisation folded in), then Relu.</summary>
    public string EmitOnnx(OnnxScope scope, string input, string? output)
    {
        using var disposeScope = NewDisposeScope();
        var (weight, bias) = ScoringWeights();
        string convolved = OnnxExporter.EmitConv(scope, conv, weight, bias, input, relu is null ? output : null);
        return relu is null ? convolved : scope.Node("Relu", "relu", [convolved], output);
    }

    /// <summary>
    /// Reads back what <see cref="EmitOnnx"/> wrote: the convolution's weight and bias under this unit's path. With
    /// batch normalisation, those are the folded values, so the convolution takes the folded weight and the
    /// normalisation becomes the identity plus the folded bias (γ = 1, β = folded bias, μ = 0, σ² = 1 − ε), which
    /// scores as the exported graph does. Fine-tuning such a network therefore restarts the running statistics from
    /// that identity: the original statistics are not in the export.
    /// </summary>
    void IOnnxImportable.ImportOnnx(OnnxWeightSource weights, string path)
    {
        using var noGrad = no_grad();
        weights.CopyInto(conv.weight, OnnxWeightSource.Name(path, "weight"));
        if (bn is null)
        {
            if (conv.bias is not null)
                weights.CopyInto(conv.bias, OnnxWeightSource.Name(path, "bias"));
            return;
        }
        weights.CopyInto(bn.bias!, OnnxWeightSource.Name(path, "bias"));
        bn.weight!.fill_(1);
        bn.running_mean!.zero_();
        bn.running_var!.fill_(1 - bn.eps);
    }

    /// <summary>
    /// The weight and bias of one convolution that computes conv then batch normalisation in evaluation mode:
    /// y = γ (conv(x) − μ) / √(σ² + ε) + β, so w' = w · s and b' = β + (b − μ) · s per output channel, with s = γ / √(σ² + ε).
    /// </summary>
    internal (Tensor Weight, Tensor? Bias) ScoringWeights()
    {
        if (bn is null)
            return (conv.weight, conv.bias);
        using var noGrad = no_grad();
        var scale = bn.weight!.div(bn.running_var!.add(bn.eps).sqrt());
        var weight = conv.weight.mul(scale.view(-1, 1, 1, 1));
        var shift = conv.bias is null ? bn.running_mean!.neg() : conv.bias.sub(bn.running_mean!);
        var bias = bn.bias!.add(shift.mul(scale));
        return (weight, bias);
    }
}
