using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// The auxiliary classifier of torchvision's Inception-v3 (<c>torchvision.models.inception.InceptionAux</c>,
/// torchvision 0.14), under its names so that its state-dict keys are torchvision's: 5×5 average pooling of stride 3
/// (17×17 → 5×5), <c>conv0</c> a BasicConv2d of 128 1×1 filters, <c>conv1</c> a BasicConv2d of 768 5×5 filters without
/// padding (5×5 → 1×1), global average pooling, flatten, <c>fc</c> a dense layer with an output per class. With a width
/// divisor the 128 and 768 filters are divided as the blocks' channels are. Trained only
/// (<see cref="GoogLeNetTrainerOptions.TrainAuxiliaryClassifiers"/>): nothing scores with it.
/// </summary>
internal sealed class TorchvisionInceptionV3Aux : Module<Tensor, Tensor>
{
    /// <summary>The last layer, whose outputs are the classes: new, as the head is, when fine-tuning on other classes.</summary>
    public const string ClassLayerName = nameof(fc);

    private readonly AvgPool2d pool;
    private readonly ConvUnit conv0;
    private readonly ConvUnit conv1;
    private readonly AdaptiveAvgPool2d globalPool;
    private readonly Linear fc;

    /// <param name="name">Module name.</param>
    /// <param name="inputChannels">Channels of the feature map it reads (768 after Mixed_6e at full width).</param>
    /// <param name="classCount">Outputs of <c>fc</c>, one per class.</param>
    /// <param name="widthDivisor">The network's width divisor (<see cref="GoogLeNetConfiguration.WidthDivisor"/>).</param>
    public TorchvisionInceptionV3Aux(string name, int inputChannels, int classCount, int widthDivisor) : base(name)
    {
        int filters = InceptionChannels.Divide(128, widthDivisor);
        int features = InceptionChannels.Divide(768, widthDivisor);
        pool = AvgPool2d(kernel_size: 5, stride: 3);
        conv0 = TorchvisionInceptionV3Stages.Conv(inputChannels, filters, (1, 1));
        conv1 = TorchvisionInceptionV3Stages.Conv(filters, features, (5, 5));
        globalPool = AdaptiveAvgPool2d(1);
        fc = Linear(features, classCount);
        RegisterComponents();
    }

    /// <summary>(N, C, 17, 17) feature map → (N, classes) logits.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = conv1.call(conv0.call(pool.call(input)));
        return fc.call(globalPool.call(x).flatten(1)).MoveToOuterDisposeScope();
    }
}
