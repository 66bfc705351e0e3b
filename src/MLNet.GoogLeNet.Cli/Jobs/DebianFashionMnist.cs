namespace MLNet.GoogLeNet.Cli.Jobs;

/// <summary>
/// Where the CLI looks for Fashion-MNIST by default: Debian's package of the four IDX files. The library reads any
/// folder (<see cref="FashionMnist.Load"/>); only the CLI knows about, and installs, the package.
/// </summary>
internal static class DebianFashionMnist
{
    /// <summary>The Debian (and Ubuntu) package that provides the files.</summary>
    public const string Package = "dataset-fashion-mnist";

    /// <summary>Where <see cref="Package"/> installs them.</summary>
    public const string Folder = "/usr/share/datasets/fashion-mnist";
}
