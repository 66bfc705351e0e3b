using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using Xunit.Abstractions;

namespace MLNet.GoogLeNet.Tests.Cli;

/// <summary>
/// One SkiaSharp serves the whole process: ML.NET's image transforms and the CLI's charts (OxyPlot.SkiaSharp). OxyPlot
/// was built against SkiaSharp 2.88 and runs on the SkiaSharp 3 that ML.NET 6 asks for; a member it calls that SkiaSharp
/// 3 no longer has would fail only when the chart that calls it is drawn (MissingMethodException). So every member
/// reference from these assemblies into SkiaSharp, SkiaSharp.HarfBuzz and HarfBuzzSharp is resolved here, all of them,
/// not only those the charts of the CLI tests happen to reach. (The same check on ML.NET 5's ImageAnalytics, built
/// against 2.88, finds the one member SkiaSharp 3 lacks for it: SKBitmap.GetPixelSpan.)
/// </summary>
public sealed class SkiaSharpBindingTests(ITestOutputHelper output)
{
    private static readonly string[] Skia = ["SkiaSharp", "SkiaSharp.HarfBuzz", "HarfBuzzSharp"];

    [Theory]
    [InlineData("OxyPlot.SkiaSharp")]
    [InlineData("Microsoft.ML.ImageAnalytics")]
    [InlineData("SkiaSharp.HarfBuzz")]
    public void Every_SkiaSharp_member_the_assembly_uses_is_in_the_SkiaSharp_it_runs_with(string assemblyName)
    {
        var assembly = Assembly.Load(assemblyName);
        var skiaReferences = assembly.GetReferencedAssemblies().Where(r => Skia.Contains(r.Name)).ToList();
        Assert.NotEmpty(skiaReferences);

        using var stream = File.OpenRead(assembly.Location);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var module = assembly.ManifestModule;
        var missing = new List<string>();
        int resolved = 0;
        foreach (var handle in metadata.MemberReferences)
        {
            var member = metadata.GetMemberReference(handle);
            if (member.Parent.Kind != HandleKind.TypeReference || !IsSkia(metadata, (TypeReferenceHandle)member.Parent))
                continue;
            string name = $"{TypeName(metadata, (TypeReferenceHandle)member.Parent)}.{metadata.GetString(member.Name)}";
            try
            {
                Assert.NotNull(module.ResolveMember(MetadataTokens.GetToken(handle)));
                resolved++;
            }
            catch (Exception e) when (e is MissingMemberException or TypeLoadException)
            {
                missing.Add($"{name}: {e.GetType().Name}");
            }
        }
        foreach (var handle in metadata.TypeReferences)
        {
            if (!IsSkia(metadata, handle))
                continue;
            try
            {
                Assert.NotNull(module.ResolveType(MetadataTokens.GetToken(handle)));
            }
            catch (TypeLoadException e)
            {
                missing.Add($"{TypeName(metadata, handle)}: {e.GetType().Name}");
            }
        }

        string against = string.Join(", ", skiaReferences.Select(r => $"{r.Name} {r.Version}"));
        string now = string.Join(", ", skiaReferences.Select(r => $"{r.Name} {Assembly.Load(r.Name!).GetName().Version}"));
        output.WriteLine($"{assemblyName}: {resolved} SkiaSharp members resolved; built against {against}, runs with {now}");
        Assert.True(missing.Count == 0, $"{assemblyName}, built against {against}, runs with {now}, which lacks:\n" + string.Join("\n", missing));
        Assert.True(resolved > 0, $"{assemblyName} references no SkiaSharp member");
    }

    private static bool IsSkia(MetadataReader metadata, TypeReferenceHandle handle)
    {
        var type = metadata.GetTypeReference(handle);
        return type.ResolutionScope.Kind switch
        {
            HandleKind.AssemblyReference => Skia.Contains(metadata.GetString(metadata.GetAssemblyReference((AssemblyReferenceHandle)type.ResolutionScope).Name)),
            HandleKind.TypeReference => IsSkia(metadata, (TypeReferenceHandle)type.ResolutionScope), // a nested type
            _ => false,
        };
    }

    private static string TypeName(MetadataReader metadata, TypeReferenceHandle handle)
    {
        var type = metadata.GetTypeReference(handle);
        string name = metadata.GetString(type.Namespace) is { Length: > 0 } ns ? ns + "." + metadata.GetString(type.Name) : metadata.GetString(type.Name);
        return type.ResolutionScope.Kind == HandleKind.TypeReference ? TypeName(metadata, (TypeReferenceHandle)type.ResolutionScope) + "+" + name : name;
    }
}
