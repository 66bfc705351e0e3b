using MLNet.GoogLeNet.Native;
using TorchSharp;

namespace MLNet.GoogLeNet.Training;

/// <summary>
/// Autocast for the calling thread while the region is open (PyTorch's <c>with torch.autocast(...)</c>); a no-op
/// region when <see cref="MixedPrecision.None"/>. Open it around the forward pass and the loss, not the backward pass.
/// </summary>
internal readonly struct AutocastRegion : IDisposable
{
    private readonly DeviceType _device;
    private readonly bool _active;

    private AutocastRegion(DeviceType device, bool active)
    {
        _device = device;
        _active = active;
    }

    public static AutocastRegion Enter(DeviceType device, MixedPrecision precision)
    {
        if (precision == MixedPrecision.None || LibTorchSwitches.IsAutocastEnabled(device))
            return default;  // nothing asked for, or an outer region already casts
        LibTorchSwitches.EnableAutocast(device, torch.ScalarType.BFloat16);
        return new AutocastRegion(device, active: true);
    }

    public void Dispose()
    {
        if (_active)
            LibTorchSwitches.DisableAutocast(_device);
    }
}
