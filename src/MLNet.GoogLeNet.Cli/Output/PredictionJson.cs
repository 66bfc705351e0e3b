using System.Text.Json;

namespace MLNet.GoogLeNet.Cli.Output;

/// <summary>
/// <c>predict --json</c>: one JSON object per image and line (JSON Lines), written straight to the output so that no
/// console layout wraps it: <c>{"file": …, "predicted": …, "probabilities": {"class": p, …}}</c>, the classes in the
/// order of the model's Score slots.
/// </summary>
internal static class PredictionJson
{
    public static void Write(TextWriter output, IReadOnlyList<string> files, IReadOnlyList<string> predicted,
        IReadOnlyList<float[]> scores, IReadOnlyList<string> classes)
    {
        for (int i = 0; i < files.Count; i++)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteString("file", files[i]);
                json.WriteString("predicted", predicted[i]);
                json.WriteStartObject("probabilities");
                for (int c = 0; c < classes.Count; c++)
                    json.WriteNumber(classes[c], scores[i][c]);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        }
        output.Flush();
    }
}
