using Microsoft.ML;
using MLNet.GoogLeNet.Data;
using MLNet.GoogLeNet.Modules;
using MLNet.GoogLeNet.Tests.TestData;
using MLNet.GoogLeNet.Training;

namespace MLNet.GoogLeNet.Tests.Training;

public class OptimizerAndScheduleTests
{
    [Theory]
    [InlineData(LearningRateSchedule.Constant, new[] { 0.1, 0.1, 0.1, 0.1 })]
    [InlineData(LearningRateSchedule.StepDecay, new[] { 0.1, 0.1, 0.01, 0.01 })]
    [InlineData(LearningRateSchedule.Cosine, new[] { 0.1, 0.085355, 0.05, 0.014645 })]
    public void Schedules_give_the_documented_rates(LearningRateSchedule schedule, double[] expected)
    {
        var rates = Enumerable.Range(1, 4).Select(e => LearningRates.ForEpoch(schedule, 0.1, e, 4, stepEpochs: 2, stepFactor: 0.1));
        Assert.Equal(expected, rates.Select(r => Math.Round(r, 6)));
    }

    [Theory]
    [InlineData(OptimizerKind.Adam, 0.003)]
    [InlineData(OptimizerKind.Sgd, 0.02)]
    public void Both_optimisers_learn_a_small_image_set_and_report_the_scheduled_rate(OptimizerKind optimizer, double rate)
    {
        var random = new Random(4);
        var labels = Enumerable.Range(0, 48).Select(i => PatternImages.Classes[i % 2]).ToArray();
        var images = new GrayscaleImages(labels.SelectMany(l => PatternImages.Draw(l, 32, random)).ToArray(), labels, 32, 32);
        var ml = new MLContext(seed: 2);
        var reports = new List<EpochReport>();
        var trainer = ml.MulticlassClassification.Trainers.GoogLeNet(ml, new GoogLeNetTrainerOptions
        {
            Epochs = 6,
            BatchSize = 8,
            Optimizer = optimizer,
            LearningRate = rate,
            Momentum = optimizer == OptimizerKind.Sgd ? 0.9 : 0,
            LearningRateSchedule = LearningRateSchedule.StepDecay,
            StepDecayEpochs = 4,
            StepDecayFactor = 0.5,
            Initialization = WeightInitialization.Kaiming,
            WidthDivisor = 16,
            EpochProgress = new ProgressHandler<EpochReport>(reports.Add),
        });
        var model = ImagePreprocessing.FromImages(ml, imageSize: 32).Append(trainer).Fit(images.ToDataView());

        Assert.Equal([rate, rate, rate, rate, rate / 2, rate / 2], reports.Select(r => r.LearningRate));
        Assert.True(reports[^1].Loss < reports[0].Loss, $"loss {reports[0].Loss:F3} → {reports[^1].Loss:F3}");
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(images.ToDataView()));
        Assert.True(metrics.MicroAccuracy >= 0.9, $"{optimizer}: training-set accuracy {metrics.MicroAccuracy:F3}");
    }
}
