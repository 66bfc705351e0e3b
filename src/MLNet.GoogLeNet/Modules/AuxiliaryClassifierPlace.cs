namespace MLNet.GoogLeNet.Modules;

/// <summary>
/// Where an auxiliary classifier of an architecture reads the network: the module <paramref name="Name"/> (the first
/// part of its state-dict keys) takes the output of the backbone's module <paramref name="After"/>.
/// </summary>
/// <param name="Name">The classifier's name: torchvision's <c>aux1</c>, <c>aux2</c>.</param>
/// <param name="After">The backbone module whose output it reads: torchvision's <c>inception4a</c>, <c>inception4d</c>.</param>
internal sealed record AuxiliaryClassifierPlace(string Name, string After);
