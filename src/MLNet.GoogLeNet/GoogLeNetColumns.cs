namespace MLNet.GoogLeNet;

/// <summary>
/// The column names the library uses when none is given: ML.NET's own trainers' names for the label, the features and
/// the two outputs, and the image columns of <see cref="ImagePreprocessing"/>. Every default of the library reads
/// them from here.
/// </summary>
public static class GoogLeNetColumns
{
    /// <summary>The label: a key column for training, the class name before <c>MapValueToKey</c>.</summary>
    public const string Label = "Label";

    /// <summary>The planar C×H×W float pixels the network reads.</summary>
    public const string Features = "Features";

    /// <summary>The text column of image file paths a saved zip takes.</summary>
    public const string ImagePath = "ImagePath";

    /// <summary>The decoded image between loading and pixel extraction.</summary>
    public const string Image = "Image";

    /// <summary>The output: softmax probabilities, one per class, with the class names as slot names.</summary>
    public const string Score = "Score";

    /// <summary>The output: the most probable class, a key whose values are the class names.</summary>
    public const string PredictedLabel = "PredictedLabel";

    /// <summary>The output of the featurizer: the pooled features before the classifier head, one float vector per image.</summary>
    public const string ImageFeatures = "ImageFeatures";
}
