using MLNet.GoogLeNet.Export;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// What torchvision's users do to an image before its GoogLeNet weights see it, inside the network so that a saved
/// model carries it: the pixels arrive scaled to [0, 1] (what <c>ToTensor</c> gives and the library's
/// <see cref="ImagePreprocessing"/> extracts); <c>Normalize(mean, std)</c> with ImageNet's mean (0.485, 0.456, 0.406) and
/// standard deviation (0.229, 0.224, 0.225); then the network's <c>transform_input</c>, which maps each channel back by
/// × std / 0.5 + (mean − 0.5) / 0.5, the scaling the published weights were trained with. Composed, mean and standard
/// deviation cancel: every channel becomes (x − 0.5) / 0.5, which is what this module computes (in one step, so for one
/// channel as for three). No weights, so no state-dict keys.
/// </summary>
internal sealed class TorchvisionInput : nn.Module<Tensor, Tensor>, IOnnxModule
{
    /// <summary>The centre and the half-range of the scaling the weights expect: pixel p in [0, 1] becomes (p − 0.5) / 0.5.</summary>
    public const float Centre = 0.5f;

    public TorchvisionInput() : base(nameof(TorchvisionInput))
    {
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return input.sub(Centre).div(Centre).MoveToOuterDisposeScope();
    }

    /// <summary>Sub then Div by the constant 0.5, as <see cref="forward"/>; constants, not initializers, since they are not weights.</summary>
    public string EmitOnnx(OnnxScope scope, string input, string? output)
    {
        string centre = scope.Node("Constant", "centre", [], null,
            [new AttributeProto
            {
                Name = "value",
                Type = AttributeProto.Types.AttributeType.Tensor,
                T = new TensorProto { DataType = (int)DataType.Float, FloatData = { Centre } },
            }]);
        string centred = scope.Node("Sub", "sub", [input, centre]);
        return scope.Node("Div", "div", [centred, centre], output);
    }
}
