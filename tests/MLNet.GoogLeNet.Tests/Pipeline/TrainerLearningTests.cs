using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Pipeline;

/// <summary>The trainer inside a real ML.NET image pipeline: learning, evaluation, schema, prediction engines.</summary>
[Collection(TrainedPatternModel.Collection)]
public class TrainerLearningTests(TrainedPatternModel fixture)
{
    private sealed class Prediction
    {
        public float[] Score { get; set; } = [];
        public string PredictedLabel { get; set; } = "";
    }

    [Fact]
    public void Learns_the_patterns_well_above_chance_on_held_out_images()
    {
        // Four balanced classes: chance is 0.25.
        TrainedPatternModel.Learning.Check(fixture.Outcome());
        var metrics = fixture.Context.MulticlassClassification.Evaluate(fixture.Model.Transform(fixture.TestData));
        Assert.Equal(4, metrics.ConfusionMatrix.NumberOfClasses);
    }

    [Fact]
    public void Reports_every_epoch_through_the_callback_and_the_mlcontext_log()
    {
        Assert.Equal([1, 2, 3, 4, 5, 6], fixture.Epochs.Select(e => e.Epoch));
        Assert.All(fixture.Epochs, e =>
        {
            Assert.Equal(320, e.Images);
            Assert.True(double.IsFinite(e.Loss) && e.Seconds > 0 && e.ImagesPerSecond > 0);
            Assert.Equal(0.001, e.LearningRate);
            Assert.Null(e.ValidationAccuracy);
        });
        lock (fixture.LogMessages)
        {
            Assert.Contains(fixture.LogMessages, m => m.Contains("epoch 1, loss ") && m.Contains("train acc"));
            Assert.Contains(fixture.LogMessages, m => m.Contains("epoch 6, loss "));
            Assert.Contains(fixture.LogMessages, m => m.Contains("Training GoogLeNet (1×32×32, 4 classes") && m.Contains("channels-last layout, fp32"));
            // 320 images of 32×32 floats (1.25 MiB) fit easily: cached without being asked.
            Assert.Contains(fixture.LogMessages, m => m.Contains("Caching the preprocessed images in memory (1 MiB"));
        }
        // 320 images in batches of 8: 40 batch reports per epoch, the last one at the epoch's end.
        Assert.Equal(6 * 40, fixture.Batches.Count);
        Assert.Equal(320, fixture.Batches[39].ImagesDone);
    }

    [Fact]
    public void Trains_and_scores_channels_last_by_default_with_one_copy_of_the_weights()
    {
        Assert.True(fixture.Options.ChannelsLast);
        var transformer = fixture.GoogLeNet;
        Assert.True(transformer.Network.IsChannelsLast);

        // The scorer runs the public network itself: its probabilities are the network's softmax.
        var features = Preprocessed(fixture.TestData).GetColumn<float[]>("Features").Take(12).SelectMany(f => f).ToArray();
        var scored = new float[12 * transformer.Classes.Count];
        transformer.Score(features, 12, scored);
        using var noGrad = TorchSharp.torch.no_grad();
        using var input = TorchSharp.torch.tensor(features, [12, 1, TrainedPatternModel.ImageSize, TrainedPatternModel.ImageSize]);
        using var logits = transformer.Network.call(input);
        using var probabilities = TorchSharp.torch.nn.functional.softmax(logits, dim: 1);
        var fromNetwork = probabilities.data<float>().ToArray();
        Assert.Equal(fromNetwork.Length, scored.Length);
        for (int i = 0; i < scored.Length; i++)
            Assert.Equal(fromNetwork[i], scored[i], 1e-6f);
        Assert.Contains(scored, p => p > 0.5f);  // a trained network, not a uniform one
    }

    [Fact]
    public void Native_tensors_do_not_accumulate_across_epochs()
    {
        // Epoch 1 creates the optimiser's momentum buffers; from then on the live count must stay flat.
        var afterFirst = fixture.LiveTensorsAfterEpoch.Skip(1).ToList();
        Assert.Equal(5, afterFirst.Count);
        Assert.All(afterFirst, count => Assert.Equal(afterFirst[0], count));
    }

    [Fact]
    public void Output_schema_has_score_slot_names_and_a_predicted_label_key_with_the_class_names()
    {
        var scored = fixture.GoogLeNet.Transform(Preprocessed(fixture.TestData));
        var score = scored.Schema["Score"];
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 4), score.Type);
        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        score.GetSlotNames(ref slotNames);
        var label = scored.Schema["Label"];
        var keyValues = default(VBuffer<ReadOnlyMemory<char>>);
        label.GetKeyValues(ref keyValues);
        // MapValueToKey orders keys by first appearance: the classes in the order the images were listed.
        Assert.Equal(PatternImages.Classes, keyValues.DenseValues().Select(v => v.ToString()));
        Assert.Equal(PatternImages.Classes, slotNames.DenseValues().Select(v => v.ToString()));

        var predicted = scored.Schema["PredictedLabel"];
        Assert.Equal(new KeyDataViewType(typeof(uint), 4), predicted.Type);
        var predictedValues = default(VBuffer<ReadOnlyMemory<char>>);
        predicted.GetKeyValues(ref predictedValues);
        Assert.Equal(PatternImages.Classes, predictedValues.DenseValues().Select(v => v.ToString()));

        // The whole pipeline ends with MapKeyToValue: PredictedLabel is the class name again.
        var full = fixture.Model.Transform(fixture.TestData);
        Assert.Equal(TextDataViewType.Instance, full.Schema["PredictedLabel"].Type);
        var names = full.GetColumn<string>("PredictedLabel").ToList();
        Assert.Equal(60, names.Count);
        Assert.All(names, n => Assert.Contains(n, PatternImages.Classes));
    }

    [Fact]
    public void Output_schema_is_declared_before_fitting_and_matches_the_fitted_schema()
    {
        var estimator = PatternImages.Preprocessing(fixture.Context, TrainedPatternModel.ImageSize)
            .Append(fixture.Context.MulticlassClassification.Trainers.GoogLeNet(fixture.Context, fixture.Options));
        // A text loader appended with the pipeline gives the declared output shape without reading any data.
        var declared = fixture.Context.Data.CreateTextLoader<ImageRow>().Append(estimator).GetOutputSchema();
        var score = declared.Single(c => c.Name == "Score");
        Assert.Equal(SchemaShape.Column.VectorKind.Vector, score.Kind);
        Assert.Equal(NumberDataViewType.Single, score.ItemType);
        Assert.Contains(score.Annotations, a => a.Name == "SlotNames");
        var predicted = declared.Single(c => c.Name == "PredictedLabel");
        Assert.True(predicted.IsKey);
        Assert.Contains(predicted.Annotations, a => a.Name == "KeyValues");
    }

    [Fact]
    public void Transform_scores_are_probabilities_and_prediction_engine_agrees_with_transform()
    {
        var transformed = fixture.Model.Transform(fixture.TestData);
        var batchScores = transformed.GetColumn<float[]>("Score").ToList();
        var batchLabels = transformed.GetColumn<string>("PredictedLabel").ToList();
        using var engine = fixture.Context.Model.CreatePredictionEngine<ImageRow, Prediction>(fixture.Model, TrainedPatternModel.SharedModel);
        for (int i = 0; i < fixture.Images.Test.Count; i++)
        {
            var single = engine.Predict(fixture.Images.Test[i]);
            Assert.Equal(batchLabels[i], single.PredictedLabel);
            Assert.Equal(4, single.Score.Length);
            Assert.InRange(single.Score.Sum(), 0.999f, 1.001f);
            for (int c = 0; c < 4; c++)
                Assert.True(Math.Abs(batchScores[i][c] - single.Score[c]) <= 1e-5, $"row {i} class {c}: {batchScores[i][c]} vs {single.Score[c]}");
        }
    }

    [Fact]
    public void Prediction_engines_on_several_threads_share_one_model()
    {
        using var reference = fixture.Context.Model.CreatePredictionEngine<ImageRow, Prediction>(fixture.Model, TrainedPatternModel.SharedModel);
        var expected = fixture.Images.Test.Select(row => reference.Predict(row).Score).ToList();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, worker =>
        {
            using var engine = fixture.Context.Model.CreatePredictionEngine<ImageRow, Prediction>(fixture.Model, TrainedPatternModel.SharedModel);
            for (int repeat = 0; repeat < 2; repeat++)
            for (int i = worker; i < fixture.Images.Test.Count; i += 2)
            {
                var score = engine.Predict(fixture.Images.Test[i]).Score;
                if (!score.Zip(expected[i]).All(p => Math.Abs(p.First - p.Second) <= 1e-5))
                    failures.Add($"worker {worker} row {i}");
            }
        });
        Assert.Empty(failures);
    }

    private IDataView Preprocessed(IDataView raw) =>
        PatternImages.Preprocessing(fixture.Context, TrainedPatternModel.ImageSize).Fit(fixture.TrainData).Transform(raw);
}
