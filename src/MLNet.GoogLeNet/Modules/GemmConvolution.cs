using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// A convolution computed as a matrix product (im2col and GEMM) by libtorch's general matrix multiplication instead of
/// oneDNN's convolution kernels: how the library convolves on a CPU where those kernels are wrong
/// (<see cref="ConvolutionFault"/>). Autograd differentiates it like any other chain of tensor operations.
/// </summary>
/// <remarks>
/// The input is read as (N, H, W, C) rows — without a copy when it is channels-last, as the networks' activations are on
/// a CPU — and the result is channels-last too. A 1×1 convolution is the product of the (N·H'·W', C) rows with the
/// transposed (O, C) weight; a larger kernel first gathers each output position's kh·kw shifted rows side by side into
/// one row of kh·kw·C values, the weight's columns reordered to match.
/// </remarks>
internal static class GemmConvolution
{
    /// <summary><paramref name="convolution"/> (no groups or dilation, zero padding) applied to <paramref name="input"/> (N, C, H, W).</summary>
    public static Tensor Forward(Conv2d convolution, Tensor input)
    {
        if (convolution.groups != 1 || convolution.dilation.Any(d => d != 1) || convolution.padding is not { Length: 2 } padding
            || convolution.padding_mode != PaddingModes.Zeros)
            throw new NotSupportedException("The matrix-product convolution takes ungrouped, undilated convolutions with explicit zero padding.");
        return Forward(input, convolution.weight!, convolution.bias, (convolution.stride[0], convolution.stride[1]), (padding[0], padding[1]));
    }

    /// <summary>
    /// The convolution of <paramref name="input"/> (N, C, H, W) with <paramref name="weight"/> (O, C, kh, kw), zero
    /// <paramref name="padding"/> (rows above and below, columns left and right) and <paramref name="stride"/>, plus
    /// <paramref name="bias"/> (O) when given: (N, O, H', W'), channels-last.
    /// </summary>
    public static Tensor Forward(Tensor input, Tensor weight, Tensor? bias, (long H, long W) stride, (long H, long W) padding)
    {
        using var scope = NewDisposeScope();
        long n = input.shape[0], c = input.shape[1];
        long o = weight.shape[0], kh = weight.shape[2], kw = weight.shape[3];
        var rowsIn = input.permute(0, 2, 3, 1);  // (N, H, W, C)
        if (padding.H > 0 || padding.W > 0)
            rowsIn = nn.functional.pad(rowsIn, [0, 0, padding.W, padding.W, padding.H, padding.H]);
        long outH = (rowsIn.shape[1] - kh) / stride.H + 1, outW = (rowsIn.shape[2] - kw) / stride.W + 1;

        // The input rows that kernel position (i, j) meets at each output position: (N, H', W', C).
        Tensor Shifted(long i, long j) => rowsIn
            .slice(1, i, i + stride.H * (outH - 1) + 1, stride.H)
            .slice(2, j, j + stride.W * (outW - 1) + 1, stride.W);

        var shifted = new List<Tensor>();
        for (long i = 0; i < kh; i++)
            for (long j = 0; j < kw; j++)
                shifted.Add(Shifted(i, j));
        var rows = (shifted.Count == 1 ? shifted[0] : cat(shifted, 3)).reshape(n * outH * outW, kh * kw * c);
        var columns = weight.permute(0, 2, 3, 1).reshape(o, kh * kw * c).t();  // (kh·kw·C, O), rows in (i, j, channel) order
        var output = bias is null ? rows.matmul(columns) : addmm(bias, rows, columns, 1, 1);
        return output.view(n, outH, outW, o).permute(0, 3, 1, 2).MoveToOuterDisposeScope();
    }
}
