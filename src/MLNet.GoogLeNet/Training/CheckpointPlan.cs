namespace MLNet.GoogLeNet.Training;

/// <summary>What a training run writes checkpoints with: the folder, how often, and what identifies the run.</summary>
/// <param name="Folder">Where they go, and how many are kept.</param>
/// <param name="EveryBatches">Also write one every this many batches; 0 for epoch ends only.</param>
/// <param name="Classes">The class names, in key order.</param>
/// <param name="Settings">The seed and the options that change the result (<see cref="CheckpointManifest.Settings"/>).</param>
/// <param name="Data">The training data's fingerprint, which a resume compares with its own.</param>
internal sealed record CheckpointPlan(CheckpointFolder Folder, int EveryBatches, IReadOnlyList<string> Classes, Dictionary<string, string> Settings,
    DataFingerprint Data);
