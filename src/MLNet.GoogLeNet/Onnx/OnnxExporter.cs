using System.Globalization;
using Google.Protobuf;
using MLNet.GoogLeNet.IO;
using MLNet.GoogLeNet.Modules;
using Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace MLNet.GoogLeNet.Onnx;

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
/// weights as initializers. Supported layers: Conv2d, ReLU, MaxPool2d, AdaptiveAvgPool2d(1) (as GlobalAveragePool),
/// Flatten, Linear (as Gemm), Sequential, <see cref="Inception"/> (its paths, then Concat) and
/// <see cref="GoogLeNetNetwork"/>; the optional final softmax becomes Softmax(axis 1). The batch dimension is symbolic ("N").
/// </summary>
public static class OnnxExporter
{
    /// <summary>The ONNX operator set the exporter targets.</summary>
    public const int OpsetVersion = 17;

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

    /// <summary>Emits <paramref name="module"/> reading <paramref name="input"/>; names its result <paramref name="output"/> when given.</summary>
    private static string Emit(OnnxGraphBuilder builder, nn.Module<Tensor, Tensor> module, string path, string input, string? output)
    {
        switch (module)
        {
            case GoogLeNetNetwork network:
                return EmitChain(builder, network.Stages.Select(s => (s.Name, s.Stage)).ToList(), path, input, output);
            case Sequential sequential:
                return EmitChain(builder, sequential.named_children().Select(c => (c.name, (nn.Module<Tensor, Tensor>)c.module)).ToList(), path, input, output);
            case Inception inception:
            {
                var branches = inception.Paths.Select((p, i) => Emit(builder, p, Join(path, $"path{i + 1}"), input, null)).ToList();
                return builder.Node("Concat", Join(path, "concat"), branches, output, [OnnxGraphBuilder.Int("axis", 1)]);
            }
            case Conv2d conv:
                return EmitConv(builder, conv, path, input, output);
            case ReLU:
                return builder.Node("Relu", Join(path, "relu"), [input], output);
            case MaxPool2d pool:
            {
                if (pool.ceil_mode || (pool.dilation ?? [1, 1]).Any(d => d != 1))
                    throw Unsupported(path, "MaxPool2d with ceil_mode or dilation");
                long[] pad = Pair(pool.padding, 0);
                return builder.Node("MaxPool", Join(path, "maxpool"), [input], output,
                [
                    OnnxGraphBuilder.Ints("kernel_shape", Pair(pool.kernel_size, 1)),
                    OnnxGraphBuilder.Ints("strides", Pair(pool.stride ?? pool.kernel_size, 1)),
                    OnnxGraphBuilder.Ints("pads", [pad[0], pad[1], pad[0], pad[1]]),
                ]);
            }
            case AdaptiveAvgPool2d adaptive:
                if (!adaptive.output_size.All(s => s == 1))
                    throw Unsupported(path, $"AdaptiveAvgPool2d to ({string.Join(", ", adaptive.output_size)}); only (1, 1) (global average pooling) is exported");
                return builder.Node("GlobalAveragePool", Join(path, "globalavgpool"), [input], output);
            case Flatten:
                return builder.Node("Flatten", Join(path, "flatten"), [input], output, [OnnxGraphBuilder.Int("axis", 1)]);
            case Linear linear:
            {
                var inputs = new List<string> { input, builder.Initializer(Join(path, "weight"), linear.weight) };
                if (linear.bias is not null)
                    inputs.Add(builder.Initializer(Join(path, "bias"), linear.bias));
                return builder.Node("Gemm", Join(path, "gemm"), inputs, output, [OnnxGraphBuilder.Int("transB", 1)]);
            }
            default:
                throw Unsupported(path, module.GetType().Name);
        }
    }

    private static string EmitChain(OnnxGraphBuilder builder, IReadOnlyList<(string Name, nn.Module<Tensor, Tensor> Module)> children,
        string path, string input, string? output)
    {
        string current = input;
        for (int i = 0; i < children.Count; i++)
            current = Emit(builder, children[i].Module, Join(path, children[i].Name), current, i == children.Count - 1 ? output : null);
        if (children.Count == 0)
            current = builder.Node("Identity", Join(path, "identity"), [input], output);
        return current;
    }

    private static string EmitConv(OnnxGraphBuilder builder, Conv2d conv, string path, string input, string? output)
    {
        if (conv.padding_mode != TorchSharp.PaddingModes.Zeros || conv.padding is null)
            throw Unsupported(path, "Conv2d with non-zero padding mode or 'same'/'valid' padding");
        long[] pad = Pair(conv.padding, 0);
        var inputs = new List<string> { input, builder.Initializer(Join(path, "weight"), conv.weight) };
        if (conv.bias is not null)
            inputs.Add(builder.Initializer(Join(path, "bias"), conv.bias));
        return builder.Node("Conv", Join(path, "conv"), inputs, output,
        [
            OnnxGraphBuilder.Ints("kernel_shape", Pair(conv.kernel_size, 1)),
            OnnxGraphBuilder.Ints("strides", Pair(conv.stride, 1)),
            OnnxGraphBuilder.Ints("pads", [pad[0], pad[1], pad[0], pad[1]]),
            OnnxGraphBuilder.Ints("dilations", Pair(conv.dilation, 1)),
            OnnxGraphBuilder.Int("group", conv.groups),
        ]);
    }

    /// <summary>A two-element (height, width) array from a TorchSharp size that may hold one or two numbers.</summary>
    private static long[] Pair(long[]? values, long fallback) => values switch
    {
        null or { Length: 0 } => [fallback, fallback],
        { Length: 1 } => [values[0], values[0]],
        _ => [values[0], values[1]],
    };

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private static NotSupportedException Unsupported(string path, string what) =>
        new($"The ONNX exporter does not support {what} (at '{(path.Length == 0 ? "<root>" : path)}').");

    private static string Describe(GoogLeNetNetwork network, bool softmax)
    {
        var c = network.Configuration;
        return string.Create(CultureInfo.InvariantCulture,
            $"GoogLeNet (Inception v1) for {c.InputChannels}×{c.ImageHeight}×{c.ImageWidth} images, {c.ClassCount} classes, width divisor {c.WidthDivisor}; output: {(softmax ? "softmax probabilities" : "logits")}.");
    }
}
