namespace MLNet.GoogLeNet;

/// <summary>How the network's weights start; biases always start at zero.</summary>
public enum WeightInitialization
{
    /// <summary>Xavier (Glorot) uniform, variance 2 / (fan_in + fan_out), as in the recipe.</summary>
    Xavier,

    /// <summary>Kaiming (He) uniform, variance 2 / fan_in, designed for ReLU networks.</summary>
    Kaiming,
}
