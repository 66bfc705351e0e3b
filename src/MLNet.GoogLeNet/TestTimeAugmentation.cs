namespace MLNet.GoogLeNet;

/// <summary>
/// How a fitted model turns an image into class probabilities (<c>Score</c>). This is the one definition that scoring
/// (<c>Transform</c>, <c>PredictionEngine</c>), the per-epoch test accuracy of training and the ONNX graph of the saved
/// zip all follow.
/// </summary>
public enum TestTimeAugmentation
{
    /// <summary><c>Score</c> = softmax(f(x)): the network on the image as it is.</summary>
    None,

    /// <summary>
    /// <c>Score</c> = (softmax(f(x)) + softmax(f(mirror(x)))) / 2, where mirror(x) reverses the image along its width
    /// (left to right), and <c>PredictedLabel</c> is the class with the highest mean. Costs two forward passes per image.
    /// Only for classes that a mirror image does not change (clothing, most objects; not digits, letters, or left and
    /// right shoes).
    /// </summary>
    HorizontalFlip,
}
