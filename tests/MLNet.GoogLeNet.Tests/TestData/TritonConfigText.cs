namespace MLNet.GoogLeNet.Tests.TestData;

/// <summary>
/// A reader for the protobuf text format of Triton's config.pbtxt, enough to check what the exporter writes: fields
/// <c>name: value</c>, messages <c>name { … }</c>, lists <c>name [ … ]</c> of values or messages. A message is a
/// dictionary from field name to its values (each a string, or a nested dictionary).
/// </summary>
internal static class TritonConfigText
{
    public static Dictionary<string, List<object>> Parse(string text)
    {
        var tokens = Tokens(text).ToList();
        int position = 0;
        var message = Message(tokens, ref position);
        if (position != tokens.Count)
            throw new FormatException($"config.pbtxt: unexpected '{tokens[position]}'");
        return message;
    }

    private static Dictionary<string, List<object>> Message(List<string> tokens, ref int position)
    {
        var fields = new Dictionary<string, List<object>>(StringComparer.Ordinal);
        while (position < tokens.Count && tokens[position] != "}")
        {
            string name = tokens[position++];
            if (tokens[position] == ":")
                position++;
            if (!fields.TryGetValue(name, out var values))
                fields[name] = values = [];
            if (tokens[position] == "[")
            {
                position++;
                while (tokens[position] != "]")
                {
                    values.Add(Value(tokens, ref position));
                    if (tokens[position] == ",")
                        position++;
                }
                position++;
            }
            else
            {
                values.Add(Value(tokens, ref position));
            }
        }
        return fields;
    }

    private static object Value(List<string> tokens, ref int position)
    {
        if (tokens[position] != "{")
            return tokens[position++].Trim('"');
        position++;
        var nested = Message(tokens, ref position);
        if (tokens[position++] != "}")
            throw new FormatException("config.pbtxt: '}' expected");
        return nested;
    }

    private static IEnumerable<string> Tokens(string text)
    {
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c == '#') { while (i < text.Length && text[i] != '\n') i++; continue; }
            if ("{}[]:,".Contains(c)) { yield return c.ToString(); i++; continue; }
            int start = i;
            if (c == '"')
            {
                i++;
                while (text[i] != '"') i++;
                i++;
            }
            else
            {
                while (i < text.Length && !char.IsWhiteSpace(text[i]) && !"{}[]:,".Contains(text[i])) i++;
            }
            yield return text[start..i];
        }
    }
}
