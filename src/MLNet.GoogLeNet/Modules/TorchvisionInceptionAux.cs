using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// An auxiliary classifier of torchvision's GoogLeNet (<c>torchvision.models.googlenet.InceptionAux</c>, torchvision
/// 0.14), under its names so that its state-dict keys are torchvision's: adaptive average pooling to 4×4, <c>conv</c> a
/// BasicConv2d of 128 1×1 filters (<c>conv.conv.weight</c>, <c>conv.bn.*</c>), flatten, <c>fc1</c> a dense layer of
/// 1024 outputs and ReLU, dropout <see cref="DropoutRate"/>, <c>fc2</c> a dense layer with an output per class. With a
/// width divisor the 128 filters and the 1024 outputs are divided as the Inception blocks' channels are.
/// It is trained only (<see cref="GoogLeNetTrainerOptions.TrainAuxiliaryClassifiers"/>): nothing scores with it.
/// </summary>
internal sealed class TorchvisionInceptionAux : Module<Tensor, Tensor>
{
    /// <summary>torchvision's <c>dropout_aux</c>, 0.7, as in the paper.</summary>
    public const double DropoutRate = 0.7;

    /// <summary>The height and width the input is pooled to.</summary>
    private const int PooledSize = 4;

    private readonly AdaptiveAvgPool2d pool;
    private readonly ConvUnit conv;
    private readonly Linear fc1;
    private readonly SeededDropout dropout;
    private readonly Linear fc2;

    /// <param name="name">Module name.</param>
    /// <param name="inputChannels">Channels of the feature map it reads (512 after inception4a, 528 after inception4d at full width).</param>
    /// <param name="classCount">Outputs of <c>fc2</c>, one per class.</param>
    /// <param name="widthDivisor">The network's width divisor (<see cref="GoogLeNetConfiguration.WidthDivisor"/>).</param>
    public TorchvisionInceptionAux(string name, int inputChannels, int classCount, int widthDivisor) : base(name)
    {
        int filters = InceptionChannels.Divide(128, widthDivisor);
        int hidden = InceptionChannels.Divide(1024, widthDivisor);
        pool = AdaptiveAvgPool2d(PooledSize);
        conv = TorchvisionInception.BasicConv2d(inputChannels, filters, 1);
        fc1 = Linear(filters * PooledSize * PooledSize, hidden);
        dropout = new SeededDropout(DropoutRate);
        fc2 = Linear(hidden, classCount);
        RegisterComponents();
    }

    /// <summary>The last layer, whose outputs are the classes: new, as the head is, when fine-tuning on other classes.</summary>
    public const string ClassLayerName = nameof(fc2);

    /// <summary>(N, C, H, W) feature map → (N, classes) logits.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = conv.call(pool.call(input)).flatten(1);
        x = dropout.call(functional.relu(fc1.call(x)));
        return fc2.call(x).MoveToOuterDisposeScope();
    }
}
