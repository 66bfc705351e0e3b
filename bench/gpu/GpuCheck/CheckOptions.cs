using System.Globalization;

namespace MLNet.GoogLeNet.GpuCheck;

/// <summary>The check's command line: <c>--device cuda|cpu --data DIR --out DIR [--train N] [--test N] [--recipe-epochs N]</c>.</summary>
internal sealed record CheckOptions(bool Cuda, string Data, string Out, int? TrainImages, int? TestImages, int RecipeEpochs)
{
    public const string Usage =
        "usage: MLNet.GoogLeNet.GpuCheck --device cuda|cpu --data FASHION_MNIST_DIR --out DIR [--train N] [--test N] [--recipe-epochs N]\n" +
        "  --device cpu runs every check on the CPU (a rehearsal that proves the bundle; learning bounds are reported, not asserted).";

    public static CheckOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"'{args[i]}' is not an option followed by its value.");
            values[args[i]] = args[i + 1];
        }
        string Required(string name) => values.Remove(name, out var value) ? value : throw new ArgumentException($"{name} is required.");
        int? Count(string name) => values.Remove(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : null;

        string device = Required("--device");
        if (device is not ("cuda" or "cpu"))
            throw new ArgumentException($"--device must be cuda or cpu; got '{device}'.");
        var options = new CheckOptions(device == "cuda", Required("--data"), Path.GetFullPath(Required("--out")),
            Count("--train"), Count("--test"), Count("--recipe-epochs") ?? 1);
        if (values.Count > 0)
            throw new ArgumentException($"unknown option {values.Keys.First()}.");
        return options;
    }
}
