namespace MLNet.GoogLeNet;

/// <summary>Random changes made to training batches (and never to validation or scored images).</summary>
public enum AugmentationKind
{
    /// <summary>The images as they are, as in the recipe.</summary>
    None,

    /// <summary>
    /// Random crop with zero padding: each image shifted by a random whole number of pixels, up to
    /// <c>MaxTranslation</c> of its height and width in each direction, the uncovered border filled with zeros.
    /// </summary>
    Translate,

    /// <summary>
    /// Random resized crop (Inception's augmentation): a random region covering 35–100% of the image with an aspect
    /// ratio between 3:4 and 4:3, stretched back to the full size bilinearly.
    /// </summary>
    RandomResizedCrop,
}
