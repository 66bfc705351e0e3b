using MLNet.GoogLeNet.Native;

namespace MLNet.GoogLeNet.GpuCheck;

/// <summary>
/// TF32 off for CUDA matrix products and cuDNN convolutions while it lives (TF32 rounds products to 10 bits of
/// mantissa, which a comparison of the GPU's fp32 with the CPU's would measure), and the settings from before put back
/// when disposed: the library's own <see cref="ProcessSettings"/>, which <c>Fit</c> saves and restores the same way.
/// </summary>
internal sealed class Tf32Off : IDisposable
{
    private readonly ProcessSettings _saved = ProcessSettings.Current;

    public Tf32Off() => (_saved with { MatmulTf32 = false, CudnnTf32 = false }).Apply();

    public void Dispose() => _saved.Apply();
}
