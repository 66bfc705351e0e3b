namespace MLNet.GoogLeNet.Cli.Commands;

/// <summary>
/// --group-by and --group-by-folder, which train and evaluate --holdout-split share: their help text, their checks
/// (made before any work, so that a mistake exits 2) and the <see cref="ImageGrouping"/> they stand for.
/// </summary>
internal static class GroupingOptions
{
    public const string GroupByHelp =
        "Image folders: keep on one side of the test split the files of one class whose names give the same value of this regular expression's first capture group (or whole match), e.g. '^(.+)-\\d+\\.png$' for frames named unit-1.png, unit-2.png. Use it when several files show one object (frames, crops, augmentations, photos of one thing). Default: none, a split by file.";

    public const string GroupByFolderHelp =
        "Image folders laid out class/object/files: keep the files of each sub-folder of a class folder on one side of the test split. Default: a split by file.";

    /// <summary>The first problem with the two options for the data folder <paramref name="dataFolder"/>, in the command line's words, or null.</summary>
    public static string? FindProblem(string? groupBy, bool byFolder, string dataFolder)
    {
        if (groupBy is not null && byFolder)
            return "--group-by and --group-by-folder cannot both be given: choose the file-name pattern or the sub-folders";
        ImageGrouping grouping;
        try
        {
            if (Create(groupBy, byFolder, dataFolder) is not { } made)
                return null;
            grouping = made;
        }
        catch (ArgumentException e)
        {
            return $"--group-by: {FirstSentence(e.Message)}. Give a .NET regular expression whose first capture group is the part of the file name that one object's files share, e.g. '^(.+)-\\d+\\.png$'";
        }
        // Only the file names are listed here (no image is opened): a pattern that groups nothing would make the
        // split a split by file while the command line says otherwise.
        string option = byFolder ? "--group-by-folder" : "--group-by";
        if (FashionMnist.IsPresent(dataFolder))
            return $"{option} groups the files of an image folder; '{dataFolder}' holds Fashion-MNIST, whose test split is its own: leave {option} out";
        if (!Directory.Exists(dataFolder))
            return null;
        return grouping.FindProblem(ImageFolder.ImagePaths(dataFolder)) is { } problem ? $"{option}: {problem}" : null;
    }

    /// <summary>The grouping the options stand for, or null when neither is given.</summary>
    /// <exception cref="ArgumentException">--group-by is not a regular expression.</exception>
    public static ImageGrouping? Create(string? groupBy, bool byFolder, string dataFolder) =>
        byFolder ? ImageGrouping.BySubfolder(dataFolder)
        : groupBy is not null ? ImageGrouping.ByFileName(groupBy)
        : null;

    /// <summary>The message without the " (Parameter 'pattern')" that ArgumentException appends.</summary>
    private static string FirstSentence(string message)
    {
        int parameter = message.LastIndexOf(" (Parameter '", StringComparison.Ordinal);
        return (parameter > 0 ? message[..parameter] : message).TrimEnd('.');
    }
}
