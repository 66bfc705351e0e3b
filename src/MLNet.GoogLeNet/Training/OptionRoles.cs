namespace MLNet.GoogLeNet.Training;

/// <summary>What an option of <see cref="GoogLeNetTrainerOptions"/> is to a run resumed from a checkpoint.</summary>
internal enum OptionRole
{
    /// <summary>Changes what training computes from the checkpoint on: a resumed run must have the checkpoint's value.</summary>
    Compared,

    /// <summary>Part of the network's configuration, which the checkpoint compares as a whole.</summary>
    Network,

    /// <summary>Decides only the starting weights, which a resumed run takes from the checkpoint instead.</summary>
    StartOnly,

    /// <summary>Changes only speed or memory, never the values computed on a CPU.</summary>
    SpeedOnly,

    /// <summary>Where the run reads, reports and writes (columns, validation data, callbacks, checkpointing itself).</summary>
    RunControl,
}

/// <summary>
/// The role of every option of <see cref="GoogLeNetTrainerOptions"/>, once: the checkpoint's comparison
/// (<see cref="CheckpointManifest.Settings"/>) takes the <see cref="OptionRole.Compared"/> ones from here, and a test
/// holds the table to the options class, so an option added without a role fails it.
/// </summary>
internal static class OptionRoles
{
    /// <summary>Each public settable option by property name.</summary>
    public static IReadOnlyDictionary<string, OptionRole> All { get; } = new Dictionary<string, OptionRole>
    {
        [nameof(GoogLeNetTrainerOptions.Architecture)] = OptionRole.Network,
        [nameof(GoogLeNetTrainerOptions.ImageHeight)] = OptionRole.Network,
        [nameof(GoogLeNetTrainerOptions.ImageWidth)] = OptionRole.Network,
        [nameof(GoogLeNetTrainerOptions.ImageChannels)] = OptionRole.Network,
        [nameof(GoogLeNetTrainerOptions.WidthDivisor)] = OptionRole.Network,

        [nameof(GoogLeNetTrainerOptions.Seed)] = OptionRole.Compared,
        [nameof(GoogLeNetTrainerOptions.Epochs)] = OptionRole.Compared,
        [nameof(GoogLeNetTrainerOptions.BatchSize)] = OptionRole.Compared,
        [nameof(GoogLeNetTrainerOptions.Optimizer)] = OptionRole.Compared,
        [nameof(GoogLeNetTrainerOptions.LearningRate)] = OptionRole.Compared,
        [nameof(GoogLeNetTrainerOptions.Momentum)] = OptionRole.Compared,
        [nameof(GoogLeNetTrainerOptions.Nesterov)] = OptionRole.Compared,
        [nameof(GoogLeNetTrainerOptions.WeightDecay)] = OptionRole.Compared,
        [nameof(GoogLeNetTrainerOptions.LearningRateSchedule)] = OptionRole.Compared,
        [nameof(GoogLeNetTrainerOptions.WarmupFraction)] = OptionRole.Compared,
        [nameof(GoogLeNetTrainerOptions.StepDecayEpochs)] = OptionRole.Compared,
        [nameof(GoogLeNetTrainerOptions.StepDecayFactor)] = OptionRole.Compared,
        [nameof(GoogLeNetTrainerOptions.LabelSmoothing)] = OptionRole.Compared,
        [nameof(GoogLeNetTrainerOptions.Augmentation)] = OptionRole.Compared,
        [nameof(GoogLeNetTrainerOptions.MaxTranslation)] = OptionRole.Compared,
        [nameof(GoogLeNetTrainerOptions.HorizontalFlip)] = OptionRole.Compared,
        [nameof(GoogLeNetTrainerOptions.EarlyStoppingPatience)] = OptionRole.Compared,
        // It changes the per-epoch test accuracy, which early stopping and the kept best weights follow.
        [nameof(GoogLeNetTrainerOptions.TestTimeAugmentation)] = OptionRole.Compared,
        [nameof(GoogLeNetTrainerOptions.GradientClipNorm)] = OptionRole.Compared,
        [nameof(GoogLeNetTrainerOptions.FreezeEpochs)] = OptionRole.Compared,
        [nameof(GoogLeNetTrainerOptions.BackboneLearningRateFactor)] = OptionRole.Compared,
        [nameof(GoogLeNetTrainerOptions.FreezeBackbone)] = OptionRole.Compared,
        [nameof(GoogLeNetTrainerOptions.MixedPrecision)] = OptionRole.Compared,
        // It adds the auxiliary classifiers' weights to the checkpoint and their losses to every step.
        [nameof(GoogLeNetTrainerOptions.TrainAuxiliaryClassifiers)] = OptionRole.Compared,
        // The pool's size decides the order rows are drawn in, so it changes the batches.
        [nameof(GoogLeNetTrainerOptions.ShufflePoolSize)] = OptionRole.Compared,

        [nameof(GoogLeNetTrainerOptions.Initialization)] = OptionRole.StartOnly,
        [nameof(GoogLeNetTrainerOptions.FineTuneFrom)] = OptionRole.StartOnly,

        [nameof(GoogLeNetTrainerOptions.NumberOfThreads)] = OptionRole.SpeedOnly,
        [nameof(GoogLeNetTrainerOptions.CacheFeatures)] = OptionRole.SpeedOnly,
        [nameof(GoogLeNetTrainerOptions.KeepNativeMemory)] = OptionRole.SpeedOnly,
        [nameof(GoogLeNetTrainerOptions.ChannelsLast)] = OptionRole.SpeedOnly,
        [nameof(GoogLeNetTrainerOptions.CudnnAutotune)] = OptionRole.SpeedOnly,
        [nameof(GoogLeNetTrainerOptions.AllowTf32)] = OptionRole.SpeedOnly,
        [nameof(GoogLeNetTrainerOptions.PrefetchBatches)] = OptionRole.SpeedOnly,
        [nameof(GoogLeNetTrainerOptions.ScoringBatchSize)] = OptionRole.SpeedOnly,

        [nameof(GoogLeNetTrainerOptions.LabelColumnName)] = OptionRole.RunControl,
        [nameof(GoogLeNetTrainerOptions.FeatureColumnName)] = OptionRole.RunControl,
        [nameof(GoogLeNetTrainerOptions.ValidationSet)] = OptionRole.RunControl,
        [nameof(GoogLeNetTrainerOptions.CheckpointDirectory)] = OptionRole.RunControl,
        [nameof(GoogLeNetTrainerOptions.CheckpointEveryBatches)] = OptionRole.RunControl,
        [nameof(GoogLeNetTrainerOptions.KeepCheckpoints)] = OptionRole.RunControl,
        [nameof(GoogLeNetTrainerOptions.ResumeFrom)] = OptionRole.RunControl,
        [nameof(GoogLeNetTrainerOptions.StartProgress)] = OptionRole.RunControl,
        [nameof(GoogLeNetTrainerOptions.EpochProgress)] = OptionRole.RunControl,
        [nameof(GoogLeNetTrainerOptions.BatchProgress)] = OptionRole.RunControl,
        [nameof(GoogLeNetTrainerOptions.CancellationToken)] = OptionRole.RunControl,
    };

    /// <summary>The options a resumed run must share with its checkpoint, in the table's order.</summary>
    public static IEnumerable<string> Compared => All.Where(pair => pair.Value == OptionRole.Compared).Select(pair => pair.Key);
}
