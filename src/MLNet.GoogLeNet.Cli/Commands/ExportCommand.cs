using System.ComponentModel;
using System.Globalization;
using MLNet.GoogLeNet.Export;
using MLNet.GoogLeNet.IO;
using MLNet.GoogLeNet.Native;
using Google.Protobuf;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.GoogLeNet.Cli.Commands;

/// <summary>
/// <c>googlenet export</c>: the network of a model zip as a standalone ONNX model, a Triton model repository, or
/// PyTorch weights (state_dict, safetensors). docs/export.md describes each.
/// </summary>
internal sealed class ExportCommand(IAnsiConsole console) : Command<ExportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--model <PATH>")]
        [Description("The model zip (googlenet train or mlContext.Model.Save).")]
        public string ModelPath { get; init; } = "";

        [CommandOption("--onnx <FILE>")]
        [Description("Write the network as a standalone ONNX model: input 'images' (N, C, H, W) floats, output 'probabilities' (N, classes); class names in its metadata.")]
        public string? Onnx { get; init; }

        [CommandOption("--triton <DIR>")]
        [Description("Write a Triton Inference Server model repository: DIR/NAME/1/model.onnx, DIR/NAME/config.pbtxt, DIR/NAME/labels.txt.")]
        public string? Triton { get; init; }

        private const string DefaultTritonName = "googlenet";

        [CommandOption("--triton-name <NAME>")]
        [Description("The model's name in the Triton repository.")]
        [DefaultValue(DefaultTritonName)]
        public string TritonName { get; init; } = DefaultTritonName;

        private const int DefaultMaxBatchSize = 64;

        [CommandOption("--max-batch-size <N>")]
        [Description("Triton's max_batch_size: the most images one (dynamically batched) request may score.")]
        [DefaultValue(DefaultMaxBatchSize)]
        public int MaxBatchSize { get; init; } = DefaultMaxBatchSize;

        [CommandOption("--logits")]
        [Description("End the ONNX model with the logits (output 'logits') instead of softmax probabilities.")]
        public bool Logits { get; init; }

        [CommandOption("--state-dict <FILE>")]
        [Description("Write the weights as a PyTorch state_dict (torch.load reads it).")]
        public string? StateDict { get; init; }

        [CommandOption("--safetensors <FILE>")]
        [Description("Write the weights as a safetensors file.")]
        public string? Safetensors { get; init; }

        [CommandOption("--featurizer <FILE>")]
        [Description("Write a featurizer zip: image file paths (column ImagePath) → the network's pooled features before its head (column ImageFeatures), for search or any ML.NET trainer; it serves with ML.NET and ONNX Runtime alone (examples/ImageSearch).")]
        public string? Featurizer { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(ModelPath)) return ValidationResult.Error("--model must name the model zip to export");
            if (!File.Exists(ModelPath)) return ValidationResult.Error($"--model: file '{ModelPath}' not found");
            if (Onnx is null && Triton is null && StateDict is null && Safetensors is null && Featurizer is null)
                return ValidationResult.Error("nothing to write: give --onnx FILE, --triton DIR, --state-dict FILE, --safetensors FILE and/or --featurizer FILE");
            if (MaxBatchSize < 1) return ValidationResult.Error("--max-batch-size must be at least 1");
            if (StateDict is not null && StateDictFile.IsSafetensors(StateDict))
                return ValidationResult.Error("--state-dict writes PyTorch's format; use --safetensors for a .safetensors file");
            if (Safetensors is not null && !StateDictFile.IsSafetensors(Safetensors))
                return ValidationResult.Error("--safetensors FILE must end in .safetensors");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        TorchRuntime.EnsureLoaded();
        var imported = ModelFile.ImportNetwork(settings.ModelPath);
        using var network = imported.Network;
        var c = network.Configuration;
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{c.Architecture}, input {c.InputChannels}×{c.ImageHeight}×{c.ImageWidth} (feature column '{imported.FeatureColumnName}'), " +
            $"{c.ClassCount} classes: {string.Join(", ", imported.ClassNames)}"));

        // What the Triton export would refuse is refused before any of the outputs is written.
        if (settings.Triton is not null)
            TritonRepository.Check(settings.TritonName, imported.ClassNames);
        if (settings.Onnx is not null || settings.Triton is not null)
        {
            var model = StandaloneOnnx.Build(network, imported.ClassNames, settings.Logits);
            string io = string.Create(CultureInfo.InvariantCulture,
                $"input '{StandaloneOnnx.InputName}' (N, {c.InputChannels}, {c.ImageHeight}, {c.ImageWidth}), output '{StandaloneOnnx.OutputName(settings.Logits)}' (N, {c.ClassCount})");
            if (imported.TestTimeAugmentation != TestTimeAugmentation.None)
                console.WriteLine($"Note: the zip scores with test-time augmentation {OptionNames.Show(imported.TestTimeAugmentation)}; the ONNX model written here is the network alone (one pass per image): average the probabilities of an image and its mirror yourself to get the zip's scores (docs/export.md).");
            if (settings.Onnx is not null)
            {
                AtomicFile.Write(settings.Onnx, model.WriteTo);
                console.WriteLine($"ONNX model: {settings.Onnx} — {io}");
            }
            if (settings.Triton is not null)
            {
                string folder = TritonRepository.Write(settings.Triton, settings.TritonName, model, imported.ClassNames, settings.MaxBatchSize);
                console.WriteLine($"Triton model repository: {folder} — {io}, max_batch_size {settings.MaxBatchSize}");
            }
        }
        if (settings.StateDict is not null)
        {
            StateDictFile.Save(network, settings.StateDict);
            console.WriteLine($"PyTorch state_dict: {settings.StateDict}");
        }
        if (settings.Safetensors is not null)
        {
            StateDictFile.Save(network, settings.Safetensors);
            console.WriteLine($"safetensors: {settings.Safetensors}");
        }
        if (settings.Featurizer is not null)
        {
            // The network imported above, not the zip read again.
            var ml = new Microsoft.ML.MLContext(seed: 0);
            ModelFile.SaveFeaturizer(ml, new GoogLeNetFeaturizerEstimator(ml, network, GoogLeNetColumns.ImageFeatures, GoogLeNetColumns.Features), settings.Featurizer);
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"featurizer: {settings.Featurizer} — input '{GoogLeNetColumns.ImagePath}' (image file paths), output '{GoogLeNetColumns.ImageFeatures}' ({network.FeatureLength} floats per image)"));
        }
        return 0;
    }
}
