using System.Globalization;
using Google.Protobuf;
using MLNet.GoogLeNet.IO;
using MLNet.GoogLeNet.Modules;
using Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace MLNet.GoogLeNet.Export;

/// <summary>What <see cref="OnnxExporter"/> writes.</summary>
public sealed class OnnxExportOptions
{
    /// <summary>Name of the graph input, a float tensor (N, C, H, W). Default <c>"input"</c>.</summary>
    public string InputName { get; set; } = "input";

    /// <summary>Name of the graph output, a float tensor (N, classes). Default <c>"probabilities"</c>.</summary>
    public string OutputName { get; set; } = "probabilities";

    /// <summary>End with a softmax over the classes (probabilities); false leaves the logits. Default true.</summary>
    public bool IncludeSoftmax { get; set; } = true;
}

/// <summary>
/// Writes the project's TorchSharp networks as ONNX models (opset <see cref="OpsetVersion"/>, IR version 8), with the
/// weights as initializers. The library's modules emit their own nodes next to their <c>forward</c>
/// (<see cref="IOnnxModule"/>), so a network is described once; TorchSharp's Conv2d, ReLU, MaxPool2d, AvgPool2d,
/// AdaptiveAvgPool2d(1) (as GlobalAveragePool), Flatten, Dropout and SeededDropout (as Identity), Linear (as Gemm) and Sequential are
/// translated here. The
/// optional final softmax becomes Softmax(axis 1). The batch dimension is symbolic ("N").
/// </summary>
public static class OnnxExporter
{
    /// <summary>The ONNX operator set the exporter targets.</summary>
    public const int OpsetVersion = 17;

    // RS0026 guards against overloads that a caller cannot tell apart once an optional parameter is added; these two
    // differ in a required parameter (a stream or a path), so every call picks one.
#pragma warning disable RS0026
    /// <summary>Writes <paramref name="network"/> as an ONNX model to <paramref name="destination"/>.</summary>
    /// <exception cref="NotSupportedException">The network holds a layer the exporter does not know.</exception>
    public static void Export(GoogLeNetNetwork network, Stream destination, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(destination);
        BuildModel(network, options ?? new OnnxExportOptions()).WriteTo(destination);
    }

    /// <summary>
    /// Writes <paramref name="network"/> as an ONNX model to <paramref name="path"/>. The file is written under a
    /// temporary name in the same folder and then renamed, so a failed export leaves no partial file.
    /// </summary>
    public static void Export(GoogLeNetNetwork network, string path, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var model = BuildModel(network, options ?? new OnnxExportOptions());
        AtomicFile.Write(path, stream => model.WriteTo(stream));
    }
#pragma warning restore RS0026

    /// <summary>The ONNX model of a whole network: input (N, C, H, W) → output (N, classes).</summary>
    internal static ModelProto BuildModel(GoogLeNetNetwork network, OnnxExportOptions options)
    {
        var builder = StartGraph(network, options.InputName);
        var c = network.Configuration;
        string result = EmitNetwork(builder, network, options.InputName, options.IncludeSoftmax, options.OutputName);
        builder.AddOutput(result, DataType.Float, "N", c.ClassCount);
        return builder.ToModel(OpsetVersion, Describe(network, options.IncludeSoftmax));
    }

    /// <summary>A graph builder with the network's input declared.</summary>
    internal static OnnxGraphBuilder StartGraph(GoogLeNetNetwork network, string inputName)
    {
        var builder = new OnnxGraphBuilder();
        var c = network.Configuration;
        builder.AddInput(inputName, DataType.Float, "N", c.InputChannels, c.ImageHeight, c.ImageWidth);
        return builder;
    }

    /// <summary>Emits the network's layers reading <paramref name="input"/>; returns the name of the (N, classes) result.</summary>
    internal static string EmitNetwork(OnnxGraphBuilder builder, GoogLeNetNetwork network, string input, bool softmax, string? outputName)
    {
        string logits = Emit(builder, network, "", input, softmax ? null : outputName);
        return softmax
            ? builder.Node("Softmax", "softmax", [logits], outputName, [OnnxGraphBuilder.Int("axis", 1)])
            : logits;
    }

    /// <summary>
    /// Exports one module on its own (for per-layer tests): input "input" of the given shape, output "output".
    /// </summary>
    internal static ModelProto BuildModuleModel(nn.Module<Tensor, Tensor> module, long[] inputShape)
    {
        var builder = new OnnxGraphBuilder();
        builder.AddInput("input", DataType.Float, inputShape.Cast<object>().ToArray());
        string output = Emit(builder, module, "", "input", "output");
        builder.AddOutput(output, DataType.Float);
        return builder.ToModel(OpsetVersion, $"{module.GetType().Name} exported on its own.");
    }

    /// <summary>
    /// Emits <paramref name="module"/> reading <paramref name="input"/>; names its result <paramref name="output"/> when
    /// given. The library's own modules emit themselves (<see cref="IOnnxModule"/>); TorchSharp's layers are
    /// translated here.
    /// </summary>
    internal static string Emit(OnnxGraphBuilder builder, nn.Module<Tensor, Tensor> module, string path, string input, string? output)
    {
        var scope = new OnnxScope(builder, path);
        switch (module)
        {
            case IOnnxModule own:
                return own.EmitOnnx(scope, input, output);
            case Sequential sequential:
                return scope.Chain(sequential.named_children().Select(c => (c.name, (nn.Module<Tensor, Tensor>)c.module)).ToList(), input, output);
            case Conv2d conv:
                return EmitConv(scope, conv, input, output);
            case ReLU:
                return scope.Node("Relu", "relu", [input], output);
            case MaxPool2d pool:
            {
                if ((pool.dilation ?? [1, 1]).Any(d => d != 1))
                    throw Unsupported(path, "MaxPool2d with dilation");
                // ONNX's ceil_mode rounds the output size up as PyTorch's does; both drop a last window that would start
                // in the right or bottom padding, which for the windows used here (kernel ≥ stride) never happens.
                return scope.Node("MaxPool", "maxpool", [input], output,
                    [.. PoolWindow(pool.kernel_size, pool.stride, pool.padding), OnnxGraphBuilder.Int("ceil_mode", pool.ceil_mode ? 1 : 0)]);
            }
            case AvgPool2d pool:
            {
                if (pool.ceil_mode || pool.divisor_override is not null)
                    throw Unsupported(path, "AvgPool2d with ceil_mode or divisor_override");
                return scope.Node("AveragePool", "avgpool", [input], output,
                    [.. PoolWindow(pool.kernel_size, pool.stride, pool.padding), OnnxGraphBuilder.Int("count_include_pad", pool.count_include_pad ? 1 : 0)]);
            }
            case AdaptiveAvgPool2d adaptive:
                if (!adaptive.output_size.All(s => s == 1))
                    throw Unsupported(path, $"AdaptiveAvgPool2d to ({string.Join(", ", adaptive.output_size)}); only (1, 1) (global average pooling) is exported");
                return scope.Node("GlobalAveragePool", "globalavgpool", [input], output);
            case Dropout or SeededDropout:
                return scope.Node("Identity", "dropout", [input], output);  // scoring mode: dropout passes its input on
            case Flatten:
                return scope.Node("Flatten", "flatten", [input], output, [OnnxGraphBuilder.Int("axis", 1)]);
            case Linear linear:
            {
                var inputs = new List<string> { input, scope.Initializer("weight", linear.weight) };
                if (linear.bias is not null)
                    inputs.Add(scope.Initializer("bias", linear.bias));
                return scope.Node("Gemm", "gemm", inputs, output, [OnnxGraphBuilder.Int("transB", 1)]);
            }
            default:
                throw Unsupported(path, module.GetType().Name);
        }
    }

    /// <summary>
    /// A Conv node with <paramref name="conv"/>'s geometry, weight and bias.
    /// </summary>
    internal static string EmitConv(OnnxScope scope, Conv2d conv, string input, string? output)
    {
        if (conv.padding_mode != TorchSharp.PaddingModes.Zeros || conv.padding is null)
            throw Unsupported(scope.Path, "Conv2d with non-zero padding mode or 'same'/'valid' padding");
        long[] pad = Pair(conv.padding, 0);
        var inputs = new List<string> { input, scope.Initializer("weight", conv.weight) };
        if (conv.bias is not null)
            inputs.Add(scope.Initializer("bias", conv.bias));
        return scope.Node("Conv", "conv", inputs, output,
        [
            OnnxGraphBuilder.Ints("kernel_shape", Pair(conv.kernel_size, 1)),
            OnnxGraphBuilder.Ints("strides", Pair(conv.stride, 1)),
            OnnxGraphBuilder.Ints("pads", [pad[0], pad[1], pad[0], pad[1]]),
            OnnxGraphBuilder.Ints("dilations", Pair(conv.dilation, 1)),
            OnnxGraphBuilder.Int("group", conv.groups),
        ]);
    }

    /// <summary>A pooling window's ONNX attributes; PyTorch's stride defaults to the kernel size, its padding is symmetric.</summary>
    private static AttributeProto[] PoolWindow(long[]? kernel, long[]? stride, long[]? padding)
    {
        long[] pad = Pair(padding, 0);
        return
        [
            OnnxGraphBuilder.Ints("kernel_shape", Pair(kernel, 1)),
            OnnxGraphBuilder.Ints("strides", Pair(stride ?? kernel, 1)),
            OnnxGraphBuilder.Ints("pads", [pad[0], pad[1], pad[0], pad[1]]),
        ];
    }

    /// <summary>A two-element (height, width) array from a TorchSharp size that may hold one or two numbers.</summary>
    private static long[] Pair(long[]? values, long fallback) => values switch
    {
        null or { Length: 0 } => [fallback, fallback],
        { Length: 1 } => [values[0], values[0]],
        _ => [values[0], values[1]],
    };

    private static NotSupportedException Unsupported(string path, string what) =>
        new($"The ONNX exporter does not support {what} (at '{(path.Length == 0 ? "<root>" : path)}').");

    private static string Describe(GoogLeNetNetwork network, bool softmax)
    {
        var c = network.Configuration;
        return string.Create(CultureInfo.InvariantCulture,
            $"{c.Architecture} for {c.InputChannels}×{c.ImageHeight}×{c.ImageWidth} images, {c.ClassCount} classes, width divisor {c.WidthDivisor}; output: {(softmax ? "softmax probabilities" : "logits")}.");
    }
}
