using System.Text.RegularExpressions;

namespace MLNet.GoogLeNet;

/// <summary>
/// Which image files belong together — frames of one animation, crops or augmentations of one picture, several photos
/// of one object — so that <see cref="ImageFolderSplit.Split"/> keeps them on one side of a training/test split. A
/// split by file puts near-copies on both sides, and the held-out accuracy then measures memory, not generalisation.
/// </summary>
/// <remarks>Groups are formed within each class: two files of different classes never share a group.</remarks>
public sealed class ImageGrouping
{
    /// <summary>The longest a pattern may take on one file name before it is given up as runaway backtracking.</summary>
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    private readonly Func<string, string?> _keyOf;

    private ImageGrouping(string description, Func<string, string?> keyOf)
    {
        Description = description;
        _keyOf = keyOf;
    }

    /// <summary>What the grouping is, in words, for logs.</summary>
    public string Description { get; }

    /// <summary>
    /// Files whose names (without the folder) give the same value of <paramref name="pattern"/>'s first capture group —
    /// or of the whole match when the pattern has no group — form one group; a file whose name the pattern does not
    /// match is a group of its own. For names like <c>knight-attack-3.png</c> and <c>knight-defend-1.png</c>,
    /// <c>^([a-z]+)-</c> groups by the word before the first hyphen. The match is case-sensitive, culture-invariant.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="pattern"/> is empty or not a .NET regular expression (the message says why).</exception>
    public static ImageGrouping ByFileName(string pattern)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        Regex regex;
        try
        {
            regex = new Regex(pattern, RegexOptions.CultureInvariant, MatchTimeout);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"'{pattern}' is not a regular expression: {e.Message}", nameof(pattern), e);
        }
        return new ImageGrouping($"file names by the pattern '{pattern}'", path =>
        {
            var match = regex.Match(Path.GetFileName(path));
            return !match.Success ? null
                : match.Groups.Count > 1 && match.Groups[1].Success ? match.Groups[1].Value
                : match.Value;
        });
    }

    /// <summary>
    /// The image folder <paramref name="root"/> with one more level, <c>root/class/object/file</c>: the files under one
    /// sub-folder of a class folder (at any depth below it) form one group; a file directly in its class folder is a
    /// group of its own.
    /// </summary>
    /// <param name="root">The image folder, as passed to <see cref="ImageFolder.Scan(string, BadImagePolicy)"/>.</param>
    public static ImageGrouping BySubfolder(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        string fullRoot = Path.GetFullPath(root);
        return new ImageGrouping($"the sub-folders of each class folder of '{root}'", path =>
        {
            string[] parts = Path.GetRelativePath(fullRoot, Path.GetFullPath(path))
                .Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
            // parts: class folder, object folder, …, file name.
            return parts.Length >= 3 && parts[0] != ".." ? parts[1] : null;
        });
    }

    /// <summary>The group of the file at <paramref name="path"/>, or null when the grouping puts it in a group of its own.</summary>
    public string? KeyOf(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return _keyOf(path);
    }

    /// <summary>
    /// Null when the grouping groups at least one of <paramref name="paths"/>; otherwise why the grouping is useless
    /// there, with an example file name and what to do (a split with it would be a split by file).
    /// </summary>
    public string? FindProblem(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        int count = 0;
        string? first = null;
        foreach (string path in paths)
        {
            if (KeyOf(path) is not null)
                return null;
            first ??= path;
            count++;
        }
        return count == 0 ? null
            : $"grouping by {Description} puts none of the {count:N0} image files in a group (for instance '{Path.GetFileName(first)}' in '{Path.GetDirectoryName(first)}'): " +
              "give a pattern that matches the part of the file name that the files of one object share, or a layout with one sub-folder per object inside each class folder";
    }
}
