using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Cli.Commands;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Tests.Learning;
using MLNet.GoogLeNet.Tests.TestData;
using MLNet.GoogLeNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Training;

/// <summary>The presets, the batch augmentation and early stopping.</summary>
public class PresetAndFeatureTests
{
    [Fact]
    public void The_recipe_preset_is_exactly_the_recipe()
    {
        var recipe = GoogLeNetTrainerOptions.Recipe();
        Assert.Equal(TrainingPreset.Recipe, recipe.Preset);
        Assert.Equal(NetworkArchitecture.GoogLeNet, recipe.Architecture);
        Assert.Equal(5, recipe.Epochs);
        Assert.Equal(128, recipe.BatchSize);
        Assert.Equal(OptimizerKind.Sgd, recipe.Optimizer);
        Assert.Equal(0.1, recipe.LearningRate);
        Assert.Equal(0, recipe.Momentum);
        Assert.Equal(0, recipe.WeightDecay);
        Assert.Equal(LearningRateSchedule.Constant, recipe.LearningRateSchedule);
        Assert.Equal(0, recipe.WarmupFraction);
        Assert.Equal(0, recipe.LabelSmoothing);
        Assert.Equal(AugmentationKind.None, recipe.Augmentation);
        Assert.False(recipe.HorizontalFlip);
        Assert.Null(recipe.EarlyStoppingPatience);
        Assert.Null(recipe.GradientClipNorm);
        Assert.Equal(WeightInitialization.Xavier, recipe.Initialization);
        Assert.Equal(MixedPrecision.None, recipe.MixedPrecision);  // the recipe's fp32, whatever a probe would find faster
        Assert.Equal(1, recipe.WidthDivisor);
        Assert.Null(recipe.FindProblem());

        // The network it builds for 96×96 Fashion-MNIST, and the optimiser: plain SGD at 0.1 in every group.
        using var network = new GoogLeNetNetwork(GoogLeNetConfiguration.Recipe with { Architecture = recipe.Architecture }, 1, recipe.Initialization);
        Assert.Equal(5_977_530, network.ParameterCount);
        using var optimizer = TrainingStep.CreateOptimizer(network, recipe);
        Assert.IsType<TorchSharp.Modules.SGD>(optimizer);
        Assert.All(optimizer.ParamGroups.Cast<TorchSharp.Modules.ParamGroup>(), group =>
        {
            var options = (TorchSharp.Modules.SGD.Options)group.Options;
            Assert.Equal(0.1, group.LearningRate);
            Assert.Equal(0, options.momentum);
            Assert.Equal(0, options.weight_decay);
            Assert.False(options.nesterov);
        });
        // Constant rate from the first step to the last.
        Assert.All(Enumerable.Range(0, 100), step => Assert.Equal(0.1, LearningRates.ForStep(recipe.LearningRateSchedule, recipe.LearningRate,
            recipe.WarmupFraction, step, 100, step / 20 + 1, recipe.StepDecayEpochs, recipe.StepDecayFactor)));
    }

    [Fact]
    public void The_default_preset_is_the_batch_normalised_network_with_adamw_and_one_cycle()
    {
        var options = new GoogLeNetTrainerOptions();
        Assert.Equal(TrainingPreset.Default, options.Preset);
        Assert.Equal(NetworkArchitecture.GoogLeNetBatchNorm, options.Architecture);
        Assert.Equal(OptimizerKind.AdamW, options.Optimizer);
        Assert.Equal(LearningRateSchedule.OneCycle, options.LearningRateSchedule);
        Assert.True(options.WarmupFraction > 0);
        Assert.Equal(0.1, options.LabelSmoothing);
        Assert.Equal(AugmentationKind.Translate, options.Augmentation);
        Assert.False(options.HorizontalFlip);
        Assert.Equal(WeightInitialization.Kaiming, options.Initialization);
        Assert.Equal(MixedPrecision.Auto, options.MixedPrecision);  // bf16 where the probe measures it faster (AutoPrecisionTests)
        Assert.Equal(64, options.BatchSize);
        Assert.Null(options.FindProblem());
    }

    [Fact]
    public void The_catalogs_flat_overload_changes_only_what_it_is_given()
    {
        var ml = new MLContext(1);
        var trainer = ml.MulticlassClassification.Trainers.GoogLeNet(ml, batchSize: 32, preset: TrainingPreset.Recipe);
        var options = (GoogLeNetTrainerOptions)typeof(GoogLeNetTrainer)
            .GetField("_options", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(trainer)!;
        Assert.Equal(32, options.BatchSize);
        Assert.Equal(GoogLeNetTrainerOptions.Recipe().Epochs, options.Epochs);
        Assert.Equal(GoogLeNetTrainerOptions.Recipe().LearningRate, options.LearningRate);
    }

    [Fact]
    public void Augmentation_is_repeatable_with_a_seed_and_shifts_whole_images_within_the_zero_padding()
    {
        using var scope = NewDisposeScope();
        var batch = rand([6, 1, 32, 32], generator: new Generator(3)) + 0.1;  // no zero pixels of its own
        var first = new BatchAugmentation(AugmentationKind.Translate, 0.1, horizontalFlip: false, seed: 7).Apply(batch);
        var again = new BatchAugmentation(AugmentationKind.Translate, 0.1, horizontalFlip: false, seed: 7).Apply(batch);
        var other = new BatchAugmentation(AugmentationKind.Translate, 0.1, horizontalFlip: false, seed: 8).Apply(batch);
        Assert.True(Same(first, again), "the same seed gave different batches");
        Assert.False(Same(first, other), "different seeds gave the same batch");

        // A resumed run passes over the draws of the images trained before its checkpoint and goes on drawing the same.
        foreach (var (kind, flip) in new[] { (AugmentationKind.Translate, true), (AugmentationKind.RandomResizedCrop, true), (AugmentationKind.None, true) })
        {
            var through = new BatchAugmentation(kind, 0.1, flip, seed: 7);
            through.Apply(batch);
            var second = through.Apply(batch);
            var resumed = new BatchAugmentation(kind, 0.1, flip, seed: 7);
            resumed.Skip(batch.shape[0], 32, 32);
            Assert.True(Same(second, resumed.Apply(batch)), $"{kind}: the batch after a skip differs from the second batch");
        }
        Assert.Equal(batch.shape, first.shape);

        // Every image is its original shifted by at most 3 pixels (a tenth of 32) each way, zeros where it moved from.
        var padded = nn.functional.pad(batch, [3, 3, 3, 3]);
        int moved = 0;
        for (int i = 0; i < 6; i++)
        {
            var offsets = (from dy in Enumerable.Range(0, 7) from dx in Enumerable.Range(0, 7)
                           where Same(padded[i].narrow(1, dy, 32).narrow(2, dx, 32), first[i])
                           select (dy, dx)).ToList();
            Assert.Single(offsets);
            if (offsets[0] != (3, 3))
                moved++;
        }
        Assert.True(moved >= 4, $"only {moved} of 6 images moved");

        // Random resized crops and flips: also repeatable, and they change the images.
        var crop1 = new BatchAugmentation(AugmentationKind.RandomResizedCrop, 0, horizontalFlip: true, seed: 5).Apply(batch);
        var crop2 = new BatchAugmentation(AugmentationKind.RandomResizedCrop, 0, horizontalFlip: true, seed: 5).Apply(batch);
        Assert.True(Same(crop1, crop2));
        Assert.False(Same(crop1, batch));
        Assert.Equal(batch.shape, crop1.shape);
    }

    /// <summary>
    /// The default preset (batch normalisation, AdamW, one-cycle) against the recipe preset (the plain network, SGD at
    /// 0.1) on the same 72 steps, each trained with three seeds: the first learns the four patterns, the second stays
    /// near chance (0.25), and the gap between them is wide. One training of the recipe preset is a coin toss at this
    /// length — measured from 0.25 to 0.69 across seeds and numerical paths, at 3, 4, 6 and 9 epochs alike — and one of
    /// the default preset fell to 0.74 on an Intel Xeon, so the test compares the means of three.
    /// </summary>
    internal static readonly LearningCase DefaultPresetLearnsInFewSteps = new(
        $"{nameof(PresetAndFeatureTests)}.{nameof(The_default_preset_learns_in_few_steps_what_the_recipe_preset_does_not_and_scores_without_augmentation)}", seed: 1,
        seed =>
        {
            var outcome = CompareThePresets(seed, out var trained);
            trained.Dispose();
            return outcome;
        },
        LearningBound.AtLeast("default preset mean accuracy", 0.7), LearningBound.AtLeast("default − recipe preset mean accuracy", 0.25));

    /// <summary>The three seeds of a comparison: <paramref name="seed"/>, and 100 and 200 past it.</summary>
    private static int[] SeedsFrom(int seed) => [seed, seed + 100, seed + 200];

    private static LearningOutcome CompareThePresets(int seed, out GoogLeNetTransformer byDefault)
    {
        var (train, test) = Patterns(trainPerClass: 48, testPerClass: 20, seed: 5);
        double Accuracy(GoogLeNetTrainerOptions options, int seed, out GoogLeNetTransformer transformer)
        {
            options.Epochs = 6;
            options.BatchSize = 16;  // 12 steps an epoch, 72 in all
            options.WidthDivisor = 8;
            options.Seed = seed;
            var ml = new MLContext(seed: seed);
            var model = ImagePreprocessing.FromImages(ml, imageSize: 32).Append(ml.MulticlassClassification.Trainers.GoogLeNet(ml, options))
                .Fit(train.ToDataView());
            transformer = ((IEnumerable<ITransformer>)model).OfType<GoogLeNetTransformer>().Single();
            return ml.MulticlassClassification.Evaluate(model.Transform(test.ToDataView())).MicroAccuracy;
        }
        double MeanOverSeeds(Func<GoogLeNetTrainerOptions> preset, out List<double> each, out GoogLeNetTransformer first)
        {
            each = [];
            first = null!;
            foreach (int s in SeedsFrom(seed))
            {
                each.Add(Accuracy(preset(), s, out var transformer));
                if (first is null)
                    first = transformer;
                else
                    transformer.Dispose();
            }
            return each.Average();
        }

        double defaultAccuracy = MeanOverSeeds(() => new GoogLeNetTrainerOptions(), out var defaults, out byDefault);
        double recipeAccuracy = MeanOverSeeds(GoogLeNetTrainerOptions.Recipe, out var recipes, out var byRecipe);
        byRecipe.Dispose();
        return new(new Dictionary<string, double>
            {
                ["default preset mean accuracy"] = defaultAccuracy,
                ["default − recipe preset mean accuracy"] = defaultAccuracy - recipeAccuracy,
            },
            $"Seeds {string.Join(", ", SeedsFrom(seed))}: default preset {string.Join(", ", defaults.Select(a => a.ToString("F3")))}; " +
            $"recipe preset {string.Join(", ", recipes.Select(a => a.ToString("F3")))}.");
    }

    [Fact]
    public void The_default_preset_learns_in_few_steps_what_the_recipe_preset_does_not_and_scores_without_augmentation()
    {
        DefaultPresetLearnsInFewSteps.Check(CompareThePresets(DefaultPresetLearnsInFewSteps.Seed, out var trained));
        using var _ = trained;

        // Scoring does not augment: the transformer's scores are the network's on the untouched features, every time.
        var (_, test) = Patterns(trainPerClass: 48, testPerClass: 20, seed: 5);
        var ml2 = new MLContext(seed: 1);
        var features = ImagePreprocessing.FromImages(ml2, imageSize: 32).Fit(test.ToDataView()).Transform(test.ToDataView())
            .GetColumn<float[]>("Features").Take(8).SelectMany(f => f).ToArray();
        var scores = new float[8 * 4];
        var scoresAgain = new float[8 * 4];
        trained.Score(features, 8, scores);
        trained.Score(features, 8, scoresAgain);
        Assert.Equal(scores, scoresAgain);
        using var noGrad = no_grad();
        using var input = tensor(features, [8, 1, 32, 32]);
        using var logits = trained.Network.call(input);
        using var probabilities = nn.functional.softmax(logits, dim: 1);
        var expected = probabilities.data<float>().ToArray();
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], scores[i], 1e-4f);
    }

    /// <summary>
    /// The validation set holds the training images with every label moved to the next class: the better the network
    /// learns the training set, the worse it does there, so the best epoch is an early one and the run stops before its
    /// 12 epochs, its last epoch below its best.
    /// </summary>
    internal static readonly LearningCase EarlyStoppingStops = new(
        $"{nameof(PresetAndFeatureTests)}.{nameof(Early_stopping_stops_after_the_patience_and_restores_the_best_epochs_weights)}", seed: 2,
        seed =>
        {
            var run = StopEarly(seed);
            run.Transformer.Dispose();
            return run.Outcome;
        },
        LearningBound.AtMost("epochs run", 11), LearningBound.AtLeast("best − last validation accuracy", 0.01));

    private sealed record EarlyStop(MLContext Context, ITransformer Model, IDataView Validation, List<EpochReport> Reports, List<string> Log,
        GoogLeNetTransformer Transformer, LearningOutcome Outcome);

    private static EarlyStop StopEarly(int seed)
    {
        var (train, _) = Patterns(trainPerClass: 24, testPerClass: 0, seed: 6);
        var shifted = new GrayscaleImages(train.Pixels,
            train.Labels.Select(l => PatternImages.Classes[(Array.IndexOf(PatternImages.Classes, l) + 1) % 4]).ToArray(), 32, 32);
        var ml = new MLContext(seed: seed);
        var preprocessing = ImagePreprocessing.FromImages(ml, imageSize: 32, classes: PatternImages.Classes);
        var validation = preprocessing.Fit(shifted.ToDataView()).Transform(shifted.ToDataView());
        var reports = new List<EpochReport>();
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        var options = new GoogLeNetTrainerOptions(TrainingPreset.Recipe)
        {
            Epochs = 12, BatchSize = 8, Optimizer = OptimizerKind.Adam, LearningRate = 0.002, Initialization = WeightInitialization.Kaiming,
            WidthDivisor = 8, EarlyStoppingPatience = 2, ValidationSet = validation,
            EpochProgress = new ProgressHandler<EpochReport>(reports.Add),
        };
        var model = preprocessing.Append(ml.MulticlassClassification.Trainers.GoogLeNet(ml, options)).Fit(train.ToDataView());
        double best = reports.Max(r => r.ValidationAccuracy!.Value);
        return new EarlyStop(ml, model, shifted.ToDataView(), reports, log, ((IEnumerable<ITransformer>)model).OfType<GoogLeNetTransformer>().Single(),
            new(new Dictionary<string, double> { ["epochs run"] = reports.Count, ["best − last validation accuracy"] = best - reports[^1].ValidationAccuracy!.Value },
                "Validation accuracy per epoch: " + string.Join(" ", reports.Select(r => $"{r.ValidationAccuracy:F3}"))));
    }

    [Fact]
    public void Early_stopping_stops_after_the_patience_and_restores_the_best_epochs_weights()
    {
        var (ml, model, shifted, reports, log, transformer, outcome) = StopEarly(EarlyStoppingStops.Seed);
        using var _ = transformer;
        EarlyStoppingStops.Check(outcome);
        double best = reports.Max(r => r.ValidationAccuracy!.Value);
        int bestEpoch = reports.First(r => r.ValidationAccuracy == best).Epoch;
        Assert.Equal(bestEpoch + 2, reports.Count);
        var final = ml.MulticlassClassification.Evaluate(model.Transform(shifted)).MicroAccuracy;
        Assert.Equal(best, final, 6);
        lock (log)
        {
            Assert.Contains(log, m => m.Contains($"Early stopping after epoch {reports.Count}"));
            Assert.Contains(log, m => m.Contains($"Restored the weights of epoch {bestEpoch}"));
        }
    }

    [Fact]
    public void Early_stopping_without_a_validation_set_is_refused_by_name()
    {
        var ml = new MLContext(1);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            ml.MulticlassClassification.Trainers.GoogLeNet(ml, new GoogLeNetTrainerOptions { EarlyStoppingPatience = 3 }));
        Assert.Equal(nameof(GoogLeNetTrainerOptions.EarlyStoppingPatience), error.ParamName);
        Assert.Contains("needs a ValidationSet", error.Message);
    }

    [Fact]
    public void The_command_lines_recipe_preset_is_the_recipe_options_and_given_values_override_it()
    {
        var (options, problem) = new TrainSettings { Preset = "recipe" }.BuildOptions();
        Assert.Null(problem);
        var recipe = GoogLeNetTrainerOptions.Recipe();
        foreach (var (option, value) in PresetsCommand.Rows)
            Assert.True(value(recipe) == value(options), $"{option}: {value(options)}, the recipe's {value(recipe)}");

        var (changed, _) = new TrainSettings { Preset = "recipe", Optimizer = "adamw", LearningRate = 0.003, Augment = "resized-crop", EarlyStopping = 4 }.BuildOptions();
        Assert.Equal(OptimizerKind.AdamW, changed.Optimizer);
        Assert.Equal(0.003, changed.LearningRate);
        Assert.Equal(AugmentationKind.RandomResizedCrop, changed.Augmentation);
        Assert.Equal(4, changed.EarlyStoppingPatience);
        Assert.Equal(recipe.BatchSize, changed.BatchSize);
        Assert.Equal(recipe.Architecture, changed.Architecture);

        var (byDefault, _) = new TrainSettings().BuildOptions();
        Assert.Equal(TrainingPreset.Default, byDefault.Preset);
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static (GrayscaleImages Train, GrayscaleImages Test) Patterns(int trainPerClass, int testPerClass, int seed)
    {
        var random = new Random(seed);
        GrayscaleImages Make(int perClass)
        {
            var labels = Enumerable.Range(0, perClass * 4).Select(i => PatternImages.Classes[i % 4]).ToArray();
            return new GrayscaleImages(labels.SelectMany(l => PatternImages.Draw(l, 32, random)).ToArray(), labels, 32, 32);
        }
        return (Make(trainPerClass), Make(Math.Max(testPerClass, 1)));
    }
}
