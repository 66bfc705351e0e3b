using System.Globalization;
using System.Text.Json;
using MLNet.GoogLeNet.Modules;
using Onnx;

namespace MLNet.GoogLeNet.Export;

/// <summary>
/// What an exported ONNX model says about the network it holds, in its <c>metadata_props</c>: the architecture and
/// configuration it was built from and the class names in output order. <see cref="OnnxWeightImporter"/> rebuilds the
/// network from these; serving engines can show the class names.
/// </summary>
internal static class NetworkMetadata
{
    public const string ArchitectureKey = "googlenet.architecture";
    public const string InputChannelsKey = "googlenet.input_channels";
    public const string ImageHeightKey = "googlenet.image_height";
    public const string ImageWidthKey = "googlenet.image_width";
    public const string ClassCountKey = "googlenet.class_count";
    public const string WidthDivisorKey = "googlenet.width_divisor";

    /// <summary>The class names as a JSON array of strings, in the order of the output's class axis.</summary>
    public const string ClassNamesKey = "googlenet.class_names";

    /// <summary>
    /// Batch normalisation's counts of training steps (<c>num_batches_tracked</c>) as a JSON object from state-dict key
    /// to count, those that are not 0: not part of what the graph computes, so not among its initializers, but part of
    /// the state dict a user exports and of the weights a fine-tuning starts from.
    /// </summary>
    public const string BatchCountsKey = "googlenet.num_batches_tracked";

    /// <summary>
    /// How the graph scores (<see cref="TestTimeAugmentation"/>), by the enum's name; written only when not
    /// <see cref="TestTimeAugmentation.None"/>, so that a graph without it (a standalone export, an older zip) reads as None.
    /// </summary>
    public const string TestTimeAugmentationKey = "googlenet.test_time_augmentation";

    /// <summary>Records that <paramref name="model"/>'s graph scores with <paramref name="augmentation"/>.</summary>
    public static void WriteTestTimeAugmentation(ModelProto model, TestTimeAugmentation augmentation)
    {
        if (augmentation != TestTimeAugmentation.None)
            Set(model, TestTimeAugmentationKey, augmentation.ToString());
    }

    /// <summary>The test-time augmentation recorded by <see cref="WriteTestTimeAugmentation"/>; None when there is none.</summary>
    /// <exception cref="InvalidDataException">The entry names no known kind; the message names it and <paramref name="source"/>.</exception>
    public static TestTimeAugmentation ReadTestTimeAugmentation(ModelProto model, string source)
    {
        if (!Entries(model).TryGetValue(TestTimeAugmentationKey, out string? text))
            return TestTimeAugmentation.None;
        if (!Enum.TryParse(text, ignoreCase: false, out TestTimeAugmentation augmentation) || !Enum.IsDefined(augmentation))
            throw new InvalidDataException(
                $"{source}: the ONNX metadata '{TestTimeAugmentationKey}' is '{text}', not one this version of MLNet.GoogLeNet knows " +
                $"({string.Join(", ", Enum.GetNames<TestTimeAugmentation>())}).");
        return augmentation;
    }

    /// <summary>Adds (or replaces) the network's description in <paramref name="model"/>'s metadata.</summary>
    public static void Write(ModelProto model, GoogLeNetNetwork network, IReadOnlyList<string> classNames)
    {
        var configuration = network.Configuration;
        if (classNames.Count != configuration.ClassCount)
            throw new ArgumentException(
                $"{classNames.Count} class names for a network with {configuration.ClassCount} outputs.", nameof(classNames));
        Set(model, ArchitectureKey, configuration.Architecture.ToString());
        Set(model, InputChannelsKey, Text(configuration.InputChannels));
        Set(model, ImageHeightKey, Text(configuration.ImageHeight));
        Set(model, ImageWidthKey, Text(configuration.ImageWidth));
        Set(model, ClassCountKey, Text(configuration.ClassCount));
        Set(model, WidthDivisorKey, Text(configuration.WidthDivisor));
        Set(model, ClassNamesKey, JsonSerializer.Serialize(classNames));
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, buffer) in network.named_buffers())
        {
            if (key.EndsWith(BatchCountName, StringComparison.Ordinal) && buffer.item<long>() is var count and not 0)
                counts[key] = count;
        }
        if (counts.Count > 0)
            Set(model, BatchCountsKey, JsonSerializer.Serialize(counts));
    }

    private const string BatchCountName = "num_batches_tracked";

    /// <summary>
    /// Sets <paramref name="network"/>'s batch-normalisation step counts to those <see cref="Write"/> recorded (the
    /// others stay 0).
    /// </summary>
    /// <exception cref="InvalidDataException">The entry is not a JSON object of counts, or names a key the network has not; the message says so.</exception>
    public static void ReadBatchCounts(ModelProto model, GoogLeNetNetwork network, string source)
    {
        if (!Entries(model).TryGetValue(BatchCountsKey, out string? json))
            return;
        Dictionary<string, long>? counts;
        try
        {
            counts = JsonSerializer.Deserialize<Dictionary<string, long>>(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: the ONNX metadata '{BatchCountsKey}' is not a JSON object of whole numbers: {e.Message}", e);
        }
        var buffers = network.named_buffers().Where(b => b.name.EndsWith(BatchCountName, StringComparison.Ordinal)).ToDictionary(b => b.name, b => b.buffer);
        foreach (var (key, count) in counts ?? [])
        {
            if (!buffers.TryGetValue(key, out var buffer) || count < 0)
                throw new InvalidDataException($"{source}: the ONNX metadata '{BatchCountsKey}' gives '{key}' the count {count}, which the network has no place for.");
            buffer.fill_(count);
        }
    }

    /// <summary>
    /// The configuration written by <see cref="Write"/>, or null when the model has no architecture entry (a model
    /// this library did not write).
    /// </summary>
    /// <exception cref="InvalidDataException">An entry is missing or unreadable; the message names it and <paramref name="source"/>.</exception>
    public static GoogLeNetConfiguration? ReadConfiguration(ModelProto model, string source)
    {
        var entries = Entries(model);
        if (!entries.TryGetValue(ArchitectureKey, out string? architectureText))
            return null;
        if (!Enum.TryParse(architectureText, ignoreCase: false, out NetworkArchitecture architecture) || !Enum.IsDefined(architecture))
            throw new InvalidDataException(
                $"{source}: the network's architecture '{architectureText}' ({ArchitectureKey}) is not one this version of MLNet.GoogLeNet builds " +
                $"({string.Join(", ", Enum.GetNames<NetworkArchitecture>())}).");

        int Number(string key)
        {
            if (!entries.TryGetValue(key, out string? text))
                throw new InvalidDataException($"{source}: the ONNX metadata names the architecture but lacks '{key}'.");
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
                throw new InvalidDataException($"{source}: the ONNX metadata '{key}' is '{text}', not a whole number.");
            return value;
        }

        var configuration = new GoogLeNetConfiguration(Number(InputChannelsKey), Number(ClassCountKey), Number(ImageHeightKey),
            Number(ImageWidthKey), Number(WidthDivisorKey), architecture);
        try
        {
            configuration.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: the ONNX metadata describes an invalid network: {e.Message}", e);
        }
        return configuration;
    }

    /// <summary>The class names written by <see cref="Write"/>, or null when there are none.</summary>
    public static string[]? ReadClassNames(ModelProto model, string source)
    {
        if (!Entries(model).TryGetValue(ClassNamesKey, out string? json))
            return null;
        try
        {
            return JsonSerializer.Deserialize<string[]>(json)
                ?? throw new InvalidDataException($"{source}: the ONNX metadata '{ClassNamesKey}' is null.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: the ONNX metadata '{ClassNamesKey}' is not a JSON array of strings: {e.Message}", e);
        }
    }

    private static Dictionary<string, string> Entries(ModelProto model)
    {
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in model.MetadataProps)
            entries[entry.Key] = entry.Value;
        return entries;
    }

    private static void Set(ModelProto model, string key, string value)
    {
        var existing = model.MetadataProps.FirstOrDefault(e => e.Key == key);
        if (existing is not null)
            existing.Value = value;
        else
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
