using System.Globalization;
using System.Text;

namespace MLNet.GoogLeNet.Bench;

/// <summary>The benchmark's table: throughput with ratios to their reference, targets, and memory.</summary>
internal static class Report
{
    public static string Table(IReadOnlyDictionary<string, Measurement> m, PyTorchPeer.Result peer, BenchOptions options)
    {
        double? V(string name) => m.TryGetValue(name, out var x) ? x.Value : null;
        string F(double? value, string format = "F1") => value?.ToString(format, CultureInfo.InvariantCulture) ?? "—";
        string R(double? a, double? b) => a is { } x && b is { } y && y > 0 ? (x / y).ToString("F2", CultureInfo.InvariantCulture) + "×" : "—";
        string Pass(double? a, double? b, double target) => a is { } x && b is { } y && y > 0 ? (x / y >= target ? "met" : "missed") : "—";

        string later = options.FitEpochs == 2 ? "epoch 2" : $"epochs 2–{options.FitEpochs}";

        // (a) is the rate Fit trains at by default: channels-last, glibc's allocator settings.
        double? compute = V("compute_train_fp32_channels_last"), standard = V("compute_train_fp32");
        double? computeKept = V("compute_train_fp32_channels_last_kept_memory"), standardKept = V("compute_train_fp32_kept_memory");
        double? steady = V("fit_steady"), first = V("fit_epoch1"), tunedSteady = V("fit_tuned_steady"), tunedFirst = V("fit_tuned_epoch1");
        double? streamingSteady = V("fit_nocache_steady"), streamingFirst = V("fit_nocache_epoch1");
        double? torchTrain = V("pytorch_train"), torchTrainChannelsLast = V("pytorch_train_channels_last"), torchInfer = V("pytorch_inference");
        double? torchInferChannelsLast = V("pytorch_inference_channels_last"), batchServing = V("transform_loaded_one_thread_per_row");
        double? mainStep = V("compute_train_main_32_fp32"), torchMain = V("pytorch_train_main_32"), torchMainChannelsLast = V("pytorch_train_main_32_channels_last");
        var rows = new List<string[]>
        {
            new[] { "(a) compute-only training step, TorchSharp fp32, channels-last (Fit's default)", F(compute), "1.00× (a)", "", "" },
            new[] { "(a₀) the same in the standard (N, C, H, W) layout", F(standard), R(standard, compute) + " (a)", "", "" },
            new[] { "(a+) (a) with KeepNativeMemory", F(computeKept), R(computeKept, compute) + " (a)", "", "" },
            new[] { "(a₀+) (a₀) with KeepNativeMemory", F(standardKept), R(standardKept, compute) + " (a)", "", "" },
            new[] { "(b) Fit through the ML.NET pipeline (defaults: images cached after epoch 1), epoch 1", F(first), R(first, compute) + " (a)", "", "" },
            new[] { $"(b) Fit through the ML.NET pipeline, {later}", F(steady), R(steady, compute) + " (a)", "≥ 0.95× (a)", Pass(steady, compute, 0.95) },
            new[] { $"(b) {later} against (a) measured again in the same process just before Fit", F(V("fit_compute_reference")), R(steady, V("fit_compute_reference")) + " (b)/(a)", "≥ 0.95× (a)", Pass(steady, V("fit_compute_reference"), 0.95) },
            new[] { "(b₀) Fit with CacheFeatures = false, epoch 1", F(streamingFirst), R(streamingFirst, compute) + " (a)", "", "" },
            new[] { $"(b₀) Fit with CacheFeatures = false (every epoch decodes), {later}", F(streamingSteady), R(streamingSteady, compute) + " (a)", "", "" },
            new[] { "(b+) Fit as the CLI trains (defaults + KeepNativeMemory), epoch 1", F(tunedFirst), R(tunedFirst, computeKept) + " (a+)", "", "" },
            new[] { $"(b+) Fit as the CLI trains, {later}", F(tunedSteady), R(tunedSteady, computeKept) + " (a+)", "≥ 0.95× (a+)", Pass(tunedSteady, computeKept, 0.95) },
            new[] { $"(b+) {later} against (a+) measured again in the same process just before Fit", F(V("fit_tuned_compute_reference")), R(tunedSteady, V("fit_tuned_compute_reference")) + " (b+)/(a+)", "≥ 0.95× (a+)", Pass(tunedSteady, V("fit_tuned_compute_reference"), 0.95) },
            new[] { "(c) Transform, fitted model (TorchSharp)", F(V("transform_fitted")), R(V("transform_fitted"), torchInfer) + " (d)", "", "" },
            new[] { "(c) PredictionEngine, fitted model (TorchSharp)", F(V("engine_fitted")), R(V("engine_fitted"), torchInfer) + " (d)", "", "" },
            new[] { "(c) Transform, model loaded from zip (ONNX Runtime, default session options)", F(V("transform_loaded")), R(V("transform_loaded"), torchInfer) + " (d)", "≥ 1.5× (d) inference", Pass(V("transform_loaded"), torchInfer, 1.5) },
            new[] { "(c+) Transform, model loaded from zip, one ONNX Runtime thread per row (SetOnnxSessionOption)", F(batchServing), R(batchServing, torchInfer) + " (d)", "≥ 1.5× (d) inference", Pass(batchServing, torchInfer, 1.5) },
            new[] { "(c) PredictionEngine, model loaded from zip (ONNX Runtime)", F(V("engine_loaded")), R(V("engine_loaded"), torchInfer) + " (d)", "", "" },
            new[] { "(c) PredictionEngine, model loaded from zip, reading PNG files (as googlenet predict and the web API serve)", F(V("engine_loaded_files")), R(V("engine_loaded_files"), torchInfer) + " (d)", "", "" },
            new[] { "(c') ONNX Runtime, the fitted network alone on a tensor in memory, batch 1", F(V("onnx_network_batch1")), R(V("onnx_network_batch1"), torchInfer) + " (d)", "like for like with (d)", "" },
            new[] { $"(c') the same, batch {options.BatchSize}", F(V($"onnx_network_batch{options.BatchSize}")), R(V($"onnx_network_batch{options.BatchSize}"), torchInfer) + " (d)", "like for like with (d)", "" },
            new[] { "(d) PyTorch training step", F(torchTrain), R(compute, torchTrain) + " (a)/(d)", "(a) ≥ 1.0× (d)", Pass(compute, torchTrain, 1.0) },
            new[] { "(d) PyTorch training step, channels-last", F(torchTrainChannelsLast), R(compute, torchTrainChannelsLast) + " (a)/(d)", "(a) ≥ 1.0× (d)", Pass(compute, torchTrainChannelsLast, 1.0) },
            new[] { "(d) PyTorch training step, channels-last, against (a+)", F(torchTrainChannelsLast), R(computeKept, torchTrainChannelsLast) + " (a+)/(d)", "", "" },
            new[] { $"(m) the main command's training step at 32×32 (default preset: batch normalisation, AdamW, batch {options.MainCommandBatch}), TorchSharp fp32, channels-last", F(mainStep), "", "", "" },
            new[] { "(d) PyTorch training step of (m): the same network, optimiser and batch at 32×32", F(torchMain), R(mainStep, torchMain) + " (m)/(d)", "(m) ≥ 1.0× (d)", Pass(mainStep, torchMain, 1.0) },
            new[] { "(d) PyTorch training step of (m), channels-last", F(torchMainChannelsLast), R(mainStep, torchMainChannelsLast) + " (m)/(d)", "(m) ≥ 1.0× (d)", Pass(mainStep, torchMainChannelsLast, 1.0) },
            new[] { "(d) PyTorch inference, batch " + options.BatchSize, F(torchInfer), "1.00× (d)", "", "" },
            new[] { "(d) PyTorch inference, channels-last, batch " + options.BatchSize, F(torchInferChannelsLast), R(batchServing, torchInferChannelsLast) + " (c+)/(d)", "", "" },
        };
        if (options.IncludeBFloat16)
        {
            double? bf16 = V("compute_train_bf16_autocast");
            rows.Add(["(a') compute-only training step, bf16 autocast (channels-last, KeepNativeMemory)", F(bf16), R(bf16, computeKept) + " (a+)",
                "used if > 1.0× (a+)", bf16 is null ? "not measured: libtorch's autocast switches cannot be called here"
                    : bf16 > computeKept ? "faster" : "slower: used only where bf16 is native"]);
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"GoogLeNet (recipe network, 1×96×96, 10 classes), batch {options.BatchSize}, {Environment.ProcessorCount} cores, {F(V("compute_threads"), "F0")} TorchSharp threads; peer: {peer.Description}");
        if (options.IsQuick)
            text.AppendLine(CultureInfo.InvariantCulture,
                $"Quick mode: {options.FitImages} images, {options.ComputeSteps} steps, batch {options.BatchSize}: the figures show that every phase runs; they measure nothing, and the targets do not apply.");
        text.AppendLine();
        text.AppendLine("| measurement | images/s | ratio | target | |");
        text.AppendLine("|---|---:|---:|---|---|");
        foreach (var row in rows)
            text.AppendLine($"| {string.Join(" | ", row)} |");
        text.AppendLine();
        double? onePass = V("compute_main_optimizer_one_pass"), torchSharpAdamW = V("compute_main_optimizer_torchsharp");
        text.AppendLine("| the optimiser's step alone in (m), on one batch's gradients | ms | ratio |");
        text.AppendLine("|---|---:|---:|");
        text.AppendLine($"| (o) the trainer's AdamW (one pass over each parameter's memory) | {F(onePass, "F2")} | 1.00× (o) |");
        text.AppendLine($"| (o) TorchSharp's AdamW (nine native calls per parameter) | {F(torchSharpAdamW, "F2")} | {R(torchSharpAdamW, onePass)} (o) |");
        text.AppendLine();
        text.AppendLine("| memory | MiB |");
        text.AppendLine("|---|---:|");
        foreach (var (prefix, label) in new[] { ("fit", "Fit"), ("fit_nocache", "Fit without the cache"), ("fit_tuned", "Fit as the CLI trains") })
        {
            text.AppendLine($"| (b) {label}, peak resident | {F(V($"{prefix}_peak_rss"), "F0")} |");
            for (int epoch = 1; V($"{prefix}_rss_after_epoch{epoch}") is { } rss; epoch++)
                text.AppendLine($"| (b) {label}, resident after epoch {epoch} | {F(rss, "F0")} |");
        }
        text.AppendLine($"| (c) fitted model, peak resident | {F(V("inference_fitted_peak_rss"), "F0")} |");
        text.AppendLine($"| (c) loaded zip, peak resident | {F(V("inference_loaded_peak_rss"), "F0")} |");
        text.AppendLine($"| (d) PyTorch, peak resident | {F(V("pytorch_peak_rss"), "F0")} |");
        return text.ToString();
    }
}
