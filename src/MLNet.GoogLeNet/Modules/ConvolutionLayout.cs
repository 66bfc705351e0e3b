using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// The memory layout convolutions run in, and the guard that keeps every convolution on a CPU channels-last.
/// </summary>
/// <remarks>
/// libtorch hands a CPU convolution to oneDNN channels-last (activations N, H, W, C in memory) when the input or the
/// weight is laid out channels-last, else in its plain layout, which oneDNN converts to channel blocks of 16 padded
/// with zeros. The channels-last path is the faster one everywhere this project measured (docs/performance.md), and the
/// plain path is the more often wrong one where oneDNN's kernels are wrong (AMD Zen 5: docs/troubleshooting.md). So on a
/// CPU every convolution of the library runs channels-last: the networks keep their weights channels-last
/// (<see cref="GoogLeNetNetwork.UseChannelsLast"/>), and <see cref="ForConvolution"/> lays out the input of any
/// convolution whose weight is not. Where oneDNN is wrong channels-last too, <see cref="ConvolutionFault"/> keeps
/// convolutions out of it altogether.
/// </remarks>
internal static class ConvolutionLayout
{
    /// <summary>
    /// Whether a network on <paramref name="device"/> keeps its convolution weights channels-last: always on a CPU (see
    /// the remarks above), and on a GPU as <paramref name="requested"/> says.
    /// </summary>
    public static bool ChannelsLastOn(Device device, bool requested) => requested || device.type == DeviceType.CPU;

    /// <summary>
    /// True when libtorch reads the (N, C, H, W) tensor <paramref name="tensor"/> as channels-last: its rule
    /// (<c>is_channels_last_strides_2d</c>) applied to the strides, so that this answer and libtorch's choice of
    /// convolution agree also for dimensions of size 1, whose strides are ambiguous.
    /// </summary>
    public static bool IsChannelsLast(Tensor tensor)
    {
        if (tensor.dim() != 4)
            return false;
        var size = tensor.shape;
        var stride = tensor.stride();
        if (stride[1] == 0)
            return false;
        long least = 0;
        foreach (int dim in (ReadOnlySpan<int>)[1, 3, 2, 0])
        {
            if (size[dim] == 0 || stride[dim] < least)
                return false;
            // A batch whose stride equals the channels' is read as the plain layout (libtorch's tie-break).
            if (dim == 0 && least == stride[1])
                return false;
            least = size[dim] > 1 ? stride[dim] * size[dim] : stride[dim];
        }
        return true;
    }

    /// <summary>
    /// A channels-last copy of an (N, C, H, W) tensor: the same shape and values (and gradient), memory order N, H, W, C,
    /// with exactly the strides libtorch gives channels-last tensors (C·H·W, 1, C·W, C). Copying a permuted view
    /// contiguously is not enough: where H and W are 1 (a 1×1 kernel, the last stages of a small image) the copy keeps
    /// the plain strides, which libtorch reads as the plain layout.
    /// </summary>
    public static Tensor ToChannelsLast(Tensor tensor)
    {
        var size = tensor.shape;
        long[] stride = [size[1] * size[2] * size[3], 1, size[1] * size[3], size[1]];
        return empty_strided(size, stride, dtype: tensor.dtype, device: tensor.device).copy_(tensor);
    }

    /// <summary>
    /// The input a convolution with <paramref name="weight"/> should be given: on a CPU, when neither the input nor the
    /// weight is channels-last, a channels-last copy of <paramref name="input"/>, so that libtorch convolves channels-last;
    /// otherwise <paramref name="input"/> itself. The result and its gradient have the input's shape and values.
    /// </summary>
    public static Tensor ForConvolution(Tensor input, Tensor weight) =>
        input.device_type == DeviceType.CPU && !IsChannelsLast(weight) && !IsChannelsLast(input)
            ? ToChannelsLast(input)
            : input;
}
