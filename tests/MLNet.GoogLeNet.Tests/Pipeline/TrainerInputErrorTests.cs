using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.GoogLeNet.Tests.TestData;
using MLNet.GoogLeNet.Training;

namespace MLNet.GoogLeNet.Tests.Pipeline;

/// <summary>Bad input gives a clear error naming the column or option, never a half-trained model.</summary>
public class TrainerInputErrorTests
{
    private sealed class ImageVectorRow
    {
        [VectorType(1, 32, 32)]
        public float[] Features { get; set; } = new float[32 * 32];
        public string Label { get; set; } = "";
    }

    private sealed class VariableVectorRow
    {
        public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
    }

    private sealed class FlatVectorRow
    {
        [VectorType(28 * 28)]
        public float[] Features { get; set; } = new float[28 * 28];
        public string Label { get; set; } = "";
    }

    private static readonly GoogLeNetTrainerOptions Small = new() { Epochs = 1, BatchSize = 4, WidthDivisor = 16 };

    private static ImageVectorRow Row(string label, float fill = 0.5f) =>
        new() { Features = Enumerable.Repeat(fill, 32 * 32).ToArray(), Label = label };

    private static IDataView Keyed(MLContext ml, IDataView data) =>
        ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);

    private static GoogLeNetTrainer Trainer(MLContext ml, GoogLeNetTrainerOptions? options = null) =>
        ml.MulticlassClassification.Trainers.GoogLeNet(ml, options ?? Small);

    [Fact]
    public void Missing_feature_column_is_named_with_the_columns_present()
    {
        var ml = new MLContext(1);
        var data = Keyed(ml, ml.Data.LoadFromEnumerable([Row("a"), Row("b")]));
        var options = new GoogLeNetTrainerOptions { FeatureColumnName = "Pixels", Epochs = 1 };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Trainer(ml, options).Fit(data));
        Assert.Contains("Feature column 'Pixels' was not found", error.Message);
        Assert.Contains("'Features'", error.Message);
    }

    [Fact]
    public void Missing_label_column_is_named()
    {
        var ml = new MLContext(1);
        var data = Keyed(ml, ml.Data.LoadFromEnumerable([Row("a"), Row("b")]));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Trainer(ml, new GoogLeNetTrainerOptions { LabelColumnName = "Class" }).Fit(data));
        Assert.Contains("Label column 'Class' was not found", error.Message);
    }

    [Fact]
    public void Label_that_is_not_a_key_is_rejected_with_the_fix()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable([Row("a"), Row("b")]);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Trainer(ml).Fit(data));
        Assert.Contains("Label column 'Label' must be a key type; it is String", error.Message);
        Assert.Contains("MapValueToKey(\"Label\")", error.Message);
    }

    [Fact]
    public void Variable_size_feature_vector_is_rejected()
    {
        var ml = new MLContext(1);
        var rows = new[] { new VariableVectorRow { Features = new float[1024], Label = "a" }, new VariableVectorRow { Features = new float[1024], Label = "b" } };
        var data = Keyed(ml, ml.Data.LoadFromEnumerable(rows));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Trainer(ml).Fit(data));
        Assert.Contains("Feature column 'Features' must be a known-size vector of Single", error.Message);
        Assert.Contains("variable size", error.Message);
    }

    [Fact]
    public void Images_smaller_than_32_pixels_are_rejected_with_the_size_found()
    {
        var ml = new MLContext(1);
        var rows = new[] { new FlatVectorRow { Label = "a" }, new FlatVectorRow { Label = "b" } };
        var data = Keyed(ml, ml.Data.LoadFromEnumerable(rows));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Trainer(ml).Fit(data));
        Assert.Contains("Feature column 'Features' holds 1×28×28 images", error.Message);
        Assert.Contains("at least 32×32", error.Message);
    }

    [Fact]
    public void Feature_size_that_does_not_match_the_options_is_rejected()
    {
        var ml = new MLContext(1);
        var data = Keyed(ml, ml.Data.LoadFromEnumerable([Row("a"), Row("b")]));
        var options = new GoogLeNetTrainerOptions { ImageHeight = 64, ImageWidth = 64, ImageChannels = 1 };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Trainer(ml, options).Fit(data));
        Assert.Contains("1×32×32", error.Message);
        Assert.Contains("1×64×64", error.Message);
    }

    [Fact]
    public void Empty_training_data_is_rejected()
    {
        var ml = new MLContext(1);
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable([Row("a"), Row("b")]));
        var empty = keyed.Transform(ml.Data.LoadFromEnumerable(Array.Empty<ImageVectorRow>()));
        var error = Assert.Throws<InvalidOperationException>(() => Trainer(ml).Fit(empty));
        Assert.Contains("The training data is empty", error.Message);
    }

    [Fact]
    public void A_single_class_is_rejected()
    {
        var ml = new MLContext(1);
        var data = Keyed(ml, ml.Data.LoadFromEnumerable([Row("only"), Row("only")]));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Trainer(ml).Fit(data));
        Assert.Contains("Label column 'Label' has a single class", error.Message);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Non_finite_features_are_reported_with_row_and_column(float bad)
    {
        var ml = new MLContext(1);
        var rows = new[] { Row("a"), Row("b"), Row("a"), Row("b") };
        rows[2].Features[100] = bad;
        var data = Keyed(ml, ml.Data.LoadFromEnumerable(rows));
        var options = new GoogLeNetTrainerOptions { Epochs = 1, BatchSize = 4, WidthDivisor = 16, ShufflePoolSize = 1 };
        var error = Assert.Throws<InvalidOperationException>(() => Trainer(ml, options).Fit(data));
        Assert.Contains("Feature column 'Features' holds", error.Message);
        Assert.Contains("slot 100", error.Message);
    }

    [Fact]
    public void A_loss_that_becomes_nan_stops_training_and_suggests_a_lower_learning_rate()
    {
        var ml = new MLContext(1);
        var random = new Random(3);
        var rows = Enumerable.Range(0, 16).Select(i => new ImageVectorRow
        {
            Features = Enumerable.Range(0, 1024).Select(_ => (float)random.NextDouble()).ToArray(),
            Label = i % 2 == 0 ? "a" : "b",
        }).ToArray();
        var data = Keyed(ml, ml.Data.LoadFromEnumerable(rows));
        var options = new GoogLeNetTrainerOptions(TrainingPreset.Recipe) { Epochs = 3, BatchSize = 4, WidthDivisor = 16, LearningRate = 1e12, Initialization = WeightInitialization.Kaiming };
        var error = Assert.Throws<InvalidOperationException>(() => Trainer(ml, options).Fit(data));
        Assert.Contains("Training diverged", error.Message);
        Assert.Contains("Lower the learning rate (now 1E+12)", error.Message);
    }

    [Theory]
    [InlineData(nameof(GoogLeNetTrainerOptions.Epochs))]
    [InlineData(nameof(GoogLeNetTrainerOptions.BatchSize))]
    [InlineData(nameof(GoogLeNetTrainerOptions.LearningRate))]
    [InlineData(nameof(GoogLeNetTrainerOptions.ImageChannels))]
    public void Invalid_options_are_named(string option)
    {
        var options = new GoogLeNetTrainerOptions();
        switch (option)
        {
            case nameof(GoogLeNetTrainerOptions.Epochs): options.Epochs = 0; break;
            case nameof(GoogLeNetTrainerOptions.BatchSize): options.BatchSize = -1; break;
            case nameof(GoogLeNetTrainerOptions.LearningRate): options.LearningRate = double.NaN; break;
            case nameof(GoogLeNetTrainerOptions.ImageChannels): options.ImageChannels = 2; break;
        }
        var ml = new MLContext();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.GoogLeNet(ml, options));
        Assert.Equal(option, error.ParamName);
    }

    [NoGpuFact]
    public void Gpu_asked_for_without_one_is_an_error_unless_fallback_is_on()
    {
        var ml = new MLContext(1) { GpuDeviceId = 0, FallbackToCpu = false };
        var data = Keyed(ml, ml.Data.LoadFromEnumerable([Row("a"), Row("b")]));
        var error = Assert.Throws<InvalidOperationException>(() => Trainer(ml).Fit(data));
        Assert.Contains("MLContext.GpuDeviceId asks for GPU 0", error.Message);
        Assert.Contains("FallbackToCpu", error.Message);

        var warnings = new List<string>();
        ml.FallbackToCpu = true;
        ml.Log += (_, e) => { if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning) lock (warnings) warnings.Add(e.Message); };
        var model = Trainer(ml).Fit(data);
        Assert.Equal(TorchSharp.DeviceType.CPU, model.Device.type);
        Assert.Contains(warnings, w => w.Contains("falling back to the CPU"));
    }

    [Fact]
    public void Mixed_precision_without_native_bf16_trains_in_fp32_with_a_warning()
    {
        var ml = new MLContext(1);
        var messages = new List<(bool Warning, string Text)>();
        ml.Log += (_, e) => { lock (messages) messages.Add((e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning, e.Message)); };
        var data = Keyed(ml, ml.Data.LoadFromEnumerable(Enumerable.Range(0, 8).Select(i => Row(i % 2 == 0 ? "a" : "b", i / 8f))));
        var options = new GoogLeNetTrainerOptions { Epochs = 1, BatchSize = 4, WidthDivisor = 16, MixedPrecision = MixedPrecision.BFloat16 };
        var used = PrecisionSupport.Resolve(TorchSharp.torch.CPU, MixedPrecision.BFloat16, out _);

        var model = Trainer(ml, options).Fit(data);

        Assert.True(double.IsFinite(model.TrainingHistory.Single().Loss));
        lock (messages)
        {
            if (used == MixedPrecision.None)
            {
                Assert.Contains(messages, m => m.Warning && m.Text.Contains("MixedPrecision.BFloat16") && m.Text.Contains("fp32"));
                Assert.Contains(messages, m => m.Text.Contains("layout, fp32."));
            }
            else
            {
                Assert.Contains(messages, m => m.Text.Contains("layout, bf16 autocast."));
            }
        }
    }

    [Fact]
    public void Cancellation_stops_training_between_batches()
    {
        var ml = new MLContext(1);
        var data = Keyed(ml, ml.Data.LoadFromEnumerable(Enumerable.Range(0, 32).Select(i => Row(i % 2 == 0 ? "a" : "b"))));
        using var cancel = new CancellationTokenSource();
        int batches = 0;
        var options = new GoogLeNetTrainerOptions
        {
            Epochs = 5, BatchSize = 4, WidthDivisor = 16, CancellationToken = cancel.Token,
            BatchProgress = new ProgressHandler<BatchProgress>(_ => { if (++batches == 2) cancel.Cancel(); }),
        };
        Assert.ThrowsAny<OperationCanceledException>(() => Trainer(ml, options).Fit(data));
        Assert.Equal(2, batches);
    }

    [Fact]
    public void Validation_set_with_other_classes_is_rejected()
    {
        var ml = new MLContext(1);
        var train = Keyed(ml, ml.Data.LoadFromEnumerable([Row("a"), Row("b")]));
        var validation = Keyed(ml, ml.Data.LoadFromEnumerable([Row("a"), Row("b"), Row("c")]));
        var options = new GoogLeNetTrainerOptions { Epochs = 1, ValidationSet = validation };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Trainer(ml, options).Fit(train));
        Assert.Contains("Validation set: label column 'Label' has 3 classes, the training data's has 2", error.Message);
    }
}
