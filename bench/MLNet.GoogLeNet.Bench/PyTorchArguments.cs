using System.Globalization;

namespace MLNet.GoogLeNet.Bench;

/// <summary>
/// How the PyTorch peers are told the trainer's settings: numbers written so that Python reads them back exactly, and
/// the training step's optimiser and loss (torch_optimizer.py builds the optimiser from them).
/// </summary>
internal static class PyTorchArguments
{
    /// <summary><paramref name="value"/> as Python's float() reads it back unchanged.</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// The optimiser, its learning rate, weight decay, momentum and Nesterov switch, and the loss's label smoothing of
    /// <paramref name="o"/>, each option's name after <paramref name="prefix"/> ("--" or "--main-").
    /// </summary>
    public static IEnumerable<string> TrainingStep(GoogLeNetTrainerOptions o, string prefix)
    {
        yield return prefix + "optimizer";
        yield return o.Optimizer switch
        {
            OptimizerKind.AdamW => "adamw",
            OptimizerKind.Sgd => "sgd",
            _ => throw new NotSupportedException($"The PyTorch peers do not reproduce the {o.Optimizer} optimiser."),
        };
        foreach (var (name, value) in new[] { ("learning-rate", o.LearningRate), ("weight-decay", o.WeightDecay),
                     ("momentum", o.Optimizer == OptimizerKind.Sgd ? o.Momentum : 0), ("label-smoothing", o.LabelSmoothing) })
        {
            yield return prefix + name;
            yield return Number(value);
        }
        if (o.UsesNesterov)
            yield return prefix + "nesterov";
    }
}
