using Microsoft.ML;
using MLNet.GoogLeNet.Tests.TestData;
using MLNet.GoogLeNet.Training;
using static TorchSharp.torch;

namespace MLNet.GoogLeNet.Tests.Training;

/// <summary>
/// <see cref="MixedPrecision.Auto"/>: its rules given the probe's times, and that a run with Auto is exactly the run with
/// the chosen mode set explicitly (the probe leaves the weights and the random draws alone).
/// </summary>
public sealed class AutoPrecisionTests : IDisposable
{
    private const long Large = 100_000_000_000;
    private readonly PatternImages _images = PatternImages.Create(trainPerClass: 6, testPerClass: 1, size: 32, seed: 5);

    public void Dispose() => _images.Dispose();

    [Fact]
    public void Bf16_is_taken_from_the_margin_on_and_a_tie_or_a_smaller_gain_is_fp32()
    {
        Assert.Equal(1.15, AutoPrecision.MinimumSpeedup);
        // fp32 2.3 s against bf16 2.0 s is 1.15 exactly (both halve exactly in binary).
        Assert.Equal(MixedPrecision.BFloat16, AutoPrecision.FromProbe([2.3, 2.3, 2.3], [2.0, 2.0, 2.0]).Mode);
        Assert.Equal(MixedPrecision.None, AutoPrecision.FromProbe([2.28, 2.28, 2.28], [2.0, 2.0, 2.0]).Mode);
        Assert.Equal(MixedPrecision.None, AutoPrecision.FromProbe([1.0, 1.0, 1.0], [1.0, 1.0, 1.0]).Mode);
        // bf16 slower, as on a Xeon with AVX512-BF16 and no AMX.
        var slower = AutoPrecision.FromProbe([1.5, 1.5, 1.5], [2.0, 2.0, 2.0]);
        Assert.Equal(MixedPrecision.None, slower.Mode);
        Assert.Equal("Mixed precision auto: fp32, bf16 0.75× fp32's speed in a 6-step probe on this device " +
                     "(median step 2.000 s against 1.500 s); bf16 is taken from 1.15×.", slower.ToString());
        var faster = AutoPrecision.FromProbe([3.5, 3.5, 3.5], [2.0, 2.0, 2.0]);
        Assert.Equal("bf16 autocast, bf16 1.75× fp32's speed in a 6-step probe on this device (median step 2.000 s against 3.500 s).", faster.Reason);
    }

    [Fact]
    public void The_decision_takes_medians_so_one_slow_step_does_not_turn_it()
    {
        // A step of either mode held up by another process on the machine.
        Assert.Equal(MixedPrecision.BFloat16, AutoPrecision.FromProbe([2.0, 2.0, 2.0], [1.0, 9.0, 1.0]).Mode);
        Assert.Equal(MixedPrecision.None, AutoPrecision.FromProbe([1.0, 9.0, 1.0], [1.0, 1.0, 1.0]).Mode);
        Assert.Equal(MixedPrecision.BFloat16, AutoPrecision.FromProbe([3.0, 2.0], [1.0, 1.5]).Mode);  // medians 2.5 and 1.25
        Assert.Throws<ArgumentException>(() => AutoPrecision.FromProbe([], [1.0]));
    }

    [Fact]
    public void Without_native_bf16_small_work_or_the_autocast_switch_it_is_fp32_without_a_probe_and_cuda_is_probed()
    {
        var noSwitch = AutoPrecision.WithoutProbe(cuda: true, autocastReachable: false, nativeBFloat16: true, Large, 10);
        Assert.Equal(MixedPrecision.None, noSwitch!.Mode);
        Assert.Contains("Linux only", noSwitch.Reason);

        // A CUDA device is timed whatever the CPU has (bf16 is fast from Ampere on, slow or missing before); small work is fp32 there too.
        Assert.Null(AutoPrecision.WithoutProbe(cuda: true, true, nativeBFloat16: false, Large, 10));
        Assert.Equal(MixedPrecision.None, AutoPrecision.WithoutProbe(cuda: true, true, nativeBFloat16: false, 1, 10)!.Mode);
        var failed = AutoPrecision.AfterBf16Failed("CUDNN_STATUS_NOT_SUPPORTED\nException raised from …");
        Assert.Equal(MixedPrecision.None, failed.Mode);
        Assert.Equal("Mixed precision auto: fp32: a bf16 autocast step failed on this device in the probe (CUDNN_STATUS_NOT_SUPPORTED).", failed.ToString());

        var noNative = AutoPrecision.WithoutProbe(cuda: false, true, nativeBFloat16: false, Large, 10);
        Assert.Equal(MixedPrecision.None, noNative!.Mode);
        Assert.Contains("no native bf16", noNative.Reason);

        var small = AutoPrecision.WithoutProbe(cuda: false, true, nativeBFloat16: true, 250_000_000, AutoPrecision.ProbeMinimumMultiplyAccumulates);
        Assert.Equal(MixedPrecision.None, small!.Mode);
        Assert.Equal("fp32: a batch's forward pass is 0.25 billion multiply-accumulates, under the 1 billion from which a probe is worth its time.",
            small.Reason);

        // At the bound and above, only a probe tells.
        Assert.Null(AutoPrecision.WithoutProbe(cuda: false, true, nativeBFloat16: true, 10, 10));
        Assert.Null(AutoPrecision.WithoutProbe(cuda: false, true, nativeBFloat16: true, Large, AutoPrecision.ProbeMinimumMultiplyAccumulates));
    }

    [Fact]
    public void Auto_on_a_small_network_trains_in_fp32_without_a_probe_and_ends_with_the_weights_of_a_run_in_fp32()
    {
        var (auto, log) = Fit(new GoogLeNetTrainerOptions { MixedPrecision = MixedPrecision.Auto });
        using (auto)
        using (var none = Fit(new GoogLeNetTrainerOptions { MixedPrecision = MixedPrecision.None }).Model)
        {
            AssertSameWeights(none, auto);
        }
        var decision = Assert.Single(log, m => m.Contains("Mixed precision auto:"));
        Assert.Contains("Mixed precision auto: fp32: a batch's forward pass is", decision);
        Assert.DoesNotContain("probe on this device", decision);
        Assert.Contains(log, m => m.Contains("layout, fp32."));
    }

    /// <summary>
    /// A frozen backbone trains the head alone on features computed once: Auto takes fp32 without timing full training
    /// steps, even where the work would call for a probe (the bound at 0 asks for one for any network).
    /// </summary>
    [NativeBFloat16Fact]
    public void With_a_frozen_backbone_auto_is_fp32_without_a_probe()
    {
        var configuration = new MLNet.GoogLeNet.Modules.GoogLeNetConfiguration(3, 4, 299, 299, Architecture: NetworkArchitecture.InceptionV3Torchvision);
        var options = new GoogLeNetTrainerOptions { MixedPrecision = MixedPrecision.Auto, AutoProbeMinimumMultiplyAccumulates = 0, FreezeBackbone = true };
        var choice = PrecisionSupport.ResolveAuto(CPU, configuration, options, seed: 1);
        Assert.Same(AutoPrecision.FrozenBackbone, choice);
        Assert.Equal(MixedPrecision.None, choice.Mode);
        Assert.Contains("the backbone is frozen", choice.Reason);
    }

    [NativeBFloat16Fact]
    public void A_probed_auto_run_ends_with_the_weights_of_the_run_with_its_choice_set_explicitly()
    {
        // The bound at 0 makes the tiny network probe; the forced choice takes each mode whatever the probe measured.
        foreach (var mode in new[] { MixedPrecision.BFloat16, MixedPrecision.None })
        {
            var (auto, log) = Fit(new GoogLeNetTrainerOptions
            {
                MixedPrecision = MixedPrecision.Auto, AutoProbeMinimumMultiplyAccumulates = 0, AutoProbeForcedChoice = mode,
            }, epochs: 1);
            using (auto)
            using (var explicitly = Fit(new GoogLeNetTrainerOptions { MixedPrecision = mode }, epochs: 1).Model)
            {
                AssertSameWeights(explicitly, auto);
            }
            Assert.Contains(log, m => m.Contains("Mixed precision auto:") && m.Contains("6-step probe on this device"));
            Assert.Contains(log, m => m.Contains(mode == MixedPrecision.None ? "layout, fp32." : "layout, bf16 autocast."));
        }
    }

    [Fact]
    public void A_resumed_auto_run_takes_the_mode_its_checkpoint_trained_in_without_a_probe()
    {
        string folder = Directory.CreateTempSubdirectory("googlenet-auto-resume-").FullName;
        try
        {
            using (Fit(new GoogLeNetTrainerOptions { MixedPrecision = MixedPrecision.None, CheckpointDirectory = folder }).Model) { }
            string firstEpoch = Directory.GetFiles(folder, "checkpoint-e0001-*.ckpt").Single();
            // A probe that would choose bf16 (forced), which the fp32 checkpoint could not resume in.
            var (resumed, log) = Fit(new GoogLeNetTrainerOptions
            {
                MixedPrecision = MixedPrecision.Auto, AutoProbeMinimumMultiplyAccumulates = 0, AutoProbeForcedChoice = MixedPrecision.BFloat16,
                ResumeFrom = firstEpoch,
            });
            resumed.Dispose();
            Assert.Contains(log, m => m.Contains("Mixed precision auto: fp32, as the resumed checkpoint trained; no probe."));
            Assert.DoesNotContain(log, m => m.Contains("probe on this device"));
            Assert.Contains(log, m => m.Contains("layout, fp32."));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// <paramref name="epochs"/> of the default preset's network (a sixteenth of the width, with dropout) on 24 pattern images in
    /// batches of 4, MLContext seed 4; and the trainer's log.
    /// </summary>
    private (GoogLeNetTransformer Model, List<string> Log) Fit(GoogLeNetTrainerOptions options, int epochs = 2)
    {
        options.Epochs = epochs;
        options.BatchSize = 4;
        options.WidthDivisor = 16;
        var ml = new MLContext(seed: 4);
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        var train = ml.Data.LoadFromEnumerable(_images.Train);
        var model = PatternImages.Preprocessing(ml, 32)
            .Append(ml.MulticlassClassification.Trainers.GoogLeNet(ml, options))
            .Fit(train);
        lock (log)
            return (((IEnumerable<ITransformer>)model).OfType<GoogLeNetTransformer>().Single(), [.. log]);
    }

    private static void AssertSameWeights(GoogLeNetTransformer expected, GoogLeNetTransformer actual)
    {
        var a = expected.Network.state_dict();
        var b = actual.Network.state_dict();
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (name, tensor) in a)
            Assert.True(tensor.equal(b[name]).all().item<bool>(), $"{name} differs");
        // The runs trained: the weights are not the ones both would start from.
        using var fresh = new MLNet.GoogLeNet.Modules.GoogLeNetNetwork(expected.Network.Configuration);
        Assert.Contains(fresh.state_dict(), p => p.Value.dtype == ScalarType.Float32 && !p.Value.equal(a[p.Key]).all().item<bool>());
    }
}
