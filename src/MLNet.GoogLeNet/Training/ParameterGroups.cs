using MLNet.GoogLeNet.Modules;
using TorchSharp.Modules;

namespace MLNet.GoogLeNet.Training;

/// <summary>
/// Parameters that share a weight decay and a learning rate: <paramref name="RateFactor"/> times the rate the schedule
/// gives each step.
/// </summary>
internal sealed record ParameterGroup(List<Parameter> Parameters, double WeightDecay, double RateFactor);

/// <summary>
/// How the trainer splits a network's parameters into optimiser groups, once: weight decay on the weights of
/// convolutions and dense layers only (decaying biases and normalisation scales and shifts only pulls the layers'
/// offsets and gains to zero), and, when fine-tuning, the backbone at a fraction of the head's learning rate. The
/// auxiliary classifiers (<see cref="GoogLeNetTrainerOptions.TrainAuxiliaryClassifiers"/>) train at the head's rate:
/// like the head they are classifiers on the backbone's features, their last layer new for other classes, and they
/// are not kept in the model, so holding them back would only weaken the gradients they send into the backbone.
/// </summary>
internal static class ParameterGroups
{
    /// <summary>
    /// The backbone's rate as a fraction of the head's: <see cref="GoogLeNetTrainerOptions.BackboneLearningRateFactor"/>
    /// when starting from trained weights (<see cref="GoogLeNetTrainerOptions.FineTuneFrom"/>), else 1.
    /// </summary>
    public static double BackboneRateFactor(GoogLeNetTrainerOptions options) =>
        options.FineTuneFrom is null ? 1 : options.BackboneLearningRateFactor;

    /// <summary>
    /// The groups of <paramref name="network"/>'s parameters; with <paramref name="headOnly"/>, of the classifier head's
    /// alone. The order of the parameters across the groups is the order of a decayed group followed by an undecayed
    /// one, each in the network's order (the head and the auxiliary classifiers last), which a checkpoint's optimiser
    /// state is stored in.
    /// </summary>
    public static List<ParameterGroup> Of(GoogLeNetNetwork network, GoogLeNetTrainerOptions options, bool headOnly)
    {
        var named = network.named_parameters().ToList();
        double backboneFactor = BackboneRateFactor(options);
        var groups = new List<ParameterGroup>();
        foreach (bool decayed in new[] { true, false })
        {
            foreach (bool head in new[] { false, true })
            {
                if (headOnly && !head)
                    continue;
                var parameters = named
                    .Where(p => (network.IsHead(p.name) || network.IsAuxiliary(p.name)) == head && (p.parameter.dim() > 1) == decayed)
                    .Select(p => p.parameter)
                    .ToList();
                if (parameters.Count > 0)
                    groups.Add(new ParameterGroup(parameters, decayed ? options.WeightDecay : 0, head ? 1 : backboneFactor));
            }
        }
        return groups;
    }
}
