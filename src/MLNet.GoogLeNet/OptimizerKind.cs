namespace MLNet.GoogLeNet;

/// <summary>The optimiser that updates the network's weights.</summary>
public enum OptimizerKind
{
    /// <summary>
    /// Stochastic gradient descent, with optional (Nesterov) momentum and weight decay: the recipe's optimiser.
    /// Learning rates around 0.1.
    /// </summary>
    Sgd,

    /// <summary>
    /// Adam (Kingma and Ba 2015) with β = (0.9, 0.999): per-weight step sizes that get a deep network without batch
    /// normalisation learning in far fewer steps than plain SGD. Weight decay is an L2 term added to the gradient.
    /// Use a learning rate around 0.001.
    /// </summary>
    Adam,

    /// <summary>
    /// AdamW (Loshchilov and Hutter 2019): Adam with the weight decay applied to the weights directly rather than
    /// through the gradient, so it is not scaled down for weights with large gradients. Learning rates around 0.001–0.003.
    /// </summary>
    AdamW,
}
