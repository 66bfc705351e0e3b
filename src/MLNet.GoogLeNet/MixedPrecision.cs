namespace MLNet.GoogLeNet;

/// <summary>Arithmetic of the training step's forward pass.</summary>
public enum MixedPrecision
{
    /// <summary>Everything in 32-bit floats.</summary>
    None,

    /// <summary>
    /// Autocast to bfloat16: convolutions and the dense layer run in bf16 while weights, gradients, the loss and the
    /// optimiser stay in fp32 (PyTorch's <c>torch.autocast(dtype=torch.bfloat16)</c>). Needs no loss scaling. Used on
    /// CUDA devices and on CPUs with native bf16 arithmetic (AVX512-BF16 or AMX); elsewhere training stays in fp32
    /// with a warning, since emulated bf16 is many times slower (docs/performance.md).
    /// </summary>
    BFloat16,
}
