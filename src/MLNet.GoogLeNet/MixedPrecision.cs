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

    /// <summary>
    /// <see cref="BFloat16"/> where it is measured to be faster, else <see cref="None"/>. On a CUDA device: bf16 autocast
    /// (not measured: this path has not run on a GPU). On a CPU without native bf16 arithmetic, or for a network whose
    /// forward pass of one batch is under <see cref="Training.AutoPrecision.ProbeMinimumMultiplyAccumulates"/>
    /// multiply-accumulates: fp32, without measuring. Otherwise <see cref="GoogLeNetTrainer.Fit"/> starts with a probe of
    /// a few seconds: training steps in both modes, alternated, on a throwaway copy of the network at the run's batch
    /// and image size (the run's weights and random draws are not touched), and takes bf16 when its median step is at
    /// least <see cref="Training.AutoPrecision.MinimumSpeedup"/> times as fast as fp32's. The training log states the
    /// choice and the measured ratio. On CPUs with native bf16 the ratio varies from 0.75 to 1.75 with the model of
    /// CPU (docs/performance.md), which is why it is measured rather than read from the CPU's flags.
    /// </summary>
    Auto,
}
