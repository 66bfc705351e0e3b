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

    /// <summary>
    /// An Inception-v3-style network ("Rethinking the Inception Architecture", Szegedy et al. 2016) sized for small
    /// images: 5×5 convolutions factorised into two 3×3, n×n into 1×n then n×1, grid-size reductions that convolve
    /// and pool side by side, and batch normalisation after every convolution. 7,395,594 parameters for 1×96×96
    /// inputs and 10 classes.
    /// </summary>
    InceptionV3,

    /// <summary>
    /// An Inception-ResNet-style network (Szegedy et al. 2017): Inception blocks whose output, projected back to the
    /// input's width and scaled by 0.1 to 0.2, is added to their input; batch normalisation after every convolution
    /// but the projections. 8,260,426 parameters for 1×96×96 inputs and 10 classes.
    /// </summary>
    InceptionResNet,

    /// <summary>
    /// torchvision's GoogLeNet (<c>torchvision.models.googlenet</c>), module for module and under torchvision's
    /// state-dict keys (<c>conv1.conv.weight</c>, <c>inception3a.branch2.1.bn.running_var</c>, <c>fc.weight</c>), so
    /// that torchvision's published ImageNet weights (<c>googlenet-1378be20.pth</c>) load with
    /// <see cref="GoogLeNetTrainerOptions.FineTuneFrom"/> and an exported state dict loads into torchvision: every
    /// convolution without bias and batch-normalised (ε 0.001), max-pools that round up, a 3×3 convolution where the
    /// paper has 5×5, dropout 0.2 before the head. It scales its [0, 1] input as torchvision's ImageNet normalisation and
    /// <c>transform_input</c> do. Made for 224×224 RGB; 5,610,154 parameters for 10 classes, 6,624,904 for ImageNet's
    /// 1,000 (torchvision's count, without the auxiliary classifiers its published file also holds). docs/transfer-learning.md.
    /// </summary>
    GoogLeNetTorchvision,

    /// <summary>
    /// torchvision's Inception-v3 (<c>torchvision.models.inception_v3</c>, Szegedy et al. 2016), module for module and
    /// under torchvision's state-dict keys (<c>Conv2d_1a_3x3.conv.weight</c>, <c>Mixed_7c.branch3x3dbl_3b.bn.running_var</c>,
    /// <c>fc.weight</c>), so that torchvision's published ImageNet weights (<c>inception_v3_google-0cc3c7bd.pth</c>,
    /// <c>torchvision:inception_v3</c>) load with <see cref="GoogLeNetTrainerOptions.FineTuneFrom"/>: every convolution
    /// without bias and batch-normalised (ε 0.001), a stem and stride-2 steps without padding, dropout 0.5 before the
    /// head, and the auxiliary classifier <c>AuxLogits</c> after Mixed_6e, trained with
    /// <see cref="GoogLeNetTrainerOptions.TrainAuxiliaryClassifiers"/> at 299×299. It scales its [0, 1] input as
    /// torchvision's ImageNet normalisation and <c>transform_input</c> do. Made for 299×299 RGB and takes 75×75 or more;
    /// 21,806,058 parameters for 10 classes, 23,834,568 for ImageNet's 1,000 (torchvision's count without the auxiliary
    /// classifier). docs/transfer-learning.md.
    /// </summary>
    InceptionV3Torchvision,
}
