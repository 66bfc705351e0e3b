namespace MLNet.GoogLeNet.Cli.Commands;

/// <summary>
/// Declares which <see cref="GoogLeNetTrainerOptions"/> property a command-line option sets, directly or through the
/// data it prepares (<c>--image-size</c> resizes the images the network is then built for): the one link between the
/// two, from which <see cref="OptionNames.CliOptionOf"/> (the option named in error messages) and
/// <c>googlenet presets</c> are derived, and which a test holds to the options class.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = true)]
internal sealed class SetsOptionAttribute(string property) : Attribute
{
    /// <summary>The name of the <see cref="GoogLeNetTrainerOptions"/> property.</summary>
    public string Property { get; } = property;
}
