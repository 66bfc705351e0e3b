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
    public static void Write(ModelProto model, GoogLeNetConfiguration configuration, IReadOnlyList<string> classNames)
    {
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
