namespace MLNet.GoogLeNet;

/// <summary>Which network the trainer builds. Every architecture trains, exports to ONNX and saves the same way.</summary>
public enum NetworkArchitecture
{
    /// <summary>
    /// GoogLeNet (Inception v1) exactly as the Dive into Deep Learning recipe builds it: no normalisation, 5,977,530
    /// parameters for 1×96×96 inputs and 10 classes.
    /// </summary>
    GoogLeNet,

    /// <summary>
    /// The same channel table with batch normalisation after every convolution, before its ReLU (the placement of
    /// GoogLeNet-BN, Ioffe and Szegedy 2015). Learns in far fewer steps; scoring folds the normalisation into the
    /// convolutions, so a saved model costs the same to serve.
    /// </summary>
    GoogLeNetBatchNorm,
}
