namespace MLNet.GoogLeNet.Training;

/// <summary>The optimiser that updates the network's weights.</summary>
public enum OptimizerKind
{
    /// <summary>Stochastic gradient descent, with optional momentum and weight decay: the recipe's optimiser.</summary>
    Sgd,

    /// <summary>
    /// Adam (Kingma and Ba 2015) with β = (0.9, 0.999): per-weight step sizes that get a deep network without batch
    /// normalisation learning in far fewer steps than plain SGD. Use a learning rate around 0.001.
    /// </summary>
    Adam,
}
