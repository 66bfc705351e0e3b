using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests.Serving;

/// <summary>
/// Serving is its own assembly, MLNet.GoogLeNet.Serving, built from ML.NET and ONNX Runtime alone: the library and the
/// serving examples reference it, and the build, not a comment, keeps TorchSharp out of it and out of the examples.
/// </summary>
public sealed class ServingAssemblyTests
{
    private const string Serving = "MLNet.GoogLeNet.Serving";

    [Fact]
    public void Serving_types_are_in_the_serving_assembly_under_the_library_namespace()
    {
        var serving = typeof(ServingInput).Assembly;
        Assert.Equal(Serving, serving.GetName().Name);
        Assert.Same(serving, typeof(ImageFileCheck).Assembly);
        // One `using MLNet.GoogLeNet;` reaches the library's types and the serving ones.
        Assert.Equal([typeof(GoogLeNetTrainer).Namespace], serving.GetExportedTypes().Select(t => t.Namespace).Distinct());

        // The library refers to them instead of holding copies.
        var library = typeof(GoogLeNetTrainer).Assembly;
        Assert.Contains(library.GetReferencedAssemblies(), a => a.Name == Serving);
        Assert.Null(library.GetType(typeof(ServingInput).FullName!));
        Assert.Null(library.GetType(typeof(ImageFileCheck).FullName!));
    }

    [Fact]
    public void Serving_assembly_references_ml_net_but_not_torchsharp_or_the_library()
    {
        var references = typeof(ServingInput).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.Contains(references, r => r.StartsWith("Microsoft.ML", StringComparison.Ordinal));
        Assert.DoesNotContain(references, IsTorch);
        Assert.DoesNotContain("MLNet.GoogLeNet", references);

        // Nor can anything the project restores bring TorchSharp or the library: the packages and projects of its whole
        // restored graph ("name/version"), transitive ones included.
        using var assets = JsonDocument.Parse(File.ReadAllBytes(
            Path.Combine(RepositoryPaths.Root, "src", Serving, "obj", "project.assets.json")));
        var restored = assets.RootElement.GetProperty("libraries").EnumerateObject().Select(l => l.Name.Split('/')[0]).ToList();
        Assert.Contains("Microsoft.ML.OnnxTransformer", restored);
        Assert.DoesNotContain(restored, IsTorch);
        Assert.DoesNotContain("MLNet.GoogLeNet", restored);
    }

    [Theory]
    [InlineData("ServingApp")]
    [InlineData("WebApi")]
    public void Serving_example_builds_against_the_serving_assembly_without_torchsharp(string example)
    {
        string dll = RepositoryPaths.BuiltAssembly(Path.Combine("examples", example), example);
        Assert.True(File.Exists(dll), $"{dll} was not built");
        string folder = Path.GetDirectoryName(dll)!;

        // The output folder: the serving assembly, no library, nothing of TorchSharp or libtorch (natives included).
        string servingCopy = Path.Combine(folder, Serving + ".dll");
        Assert.True(File.Exists(servingCopy), $"{folder} holds no {Serving}.dll");
        Assert.False(File.Exists(Path.Combine(folder, "MLNet.GoogLeNet.dll")), $"{folder} holds the library");
        Assert.DoesNotContain(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f)), IsTorch);
        // The runtime's dependency graph names the serving assembly and nothing of TorchSharp.
        string deps = File.ReadAllText(Path.Combine(folder, example + ".deps.json"));
        Assert.Contains($"\"{Serving}/", deps);
        Assert.DoesNotContain("torch", deps, StringComparison.OrdinalIgnoreCase);

        // The example is compiled against the serving assembly and holds no copy of its types; the copy it runs with
        // references no TorchSharp either.
        var (references, types) = ReadMetadata(dll);
        Assert.Contains(Serving, references);
        Assert.DoesNotContain(references, IsTorch);
        Assert.DoesNotContain("MLNet.GoogLeNet", references);
        Assert.DoesNotContain(typeof(ServingInput).FullName!, types);
        Assert.DoesNotContain(typeof(ImageFileCheck).FullName!, types);
        var (servingReferences, _) = ReadMetadata(servingCopy);
        Assert.DoesNotContain(servingReferences, IsTorch);
        Assert.DoesNotContain("MLNet.GoogLeNet", servingReferences);
    }

    private static bool IsTorch(string name) => name.Contains("torch", StringComparison.OrdinalIgnoreCase);

    /// <summary>The names of the assemblies a built dll references and the full names of the types it defines, read
    /// from its metadata without loading it.</summary>
    private static (List<string> References, List<string> Types) ReadMetadata(string dll)
    {
        using var stream = File.OpenRead(dll);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var references = reader.AssemblyReferences.Select(h => reader.GetString(reader.GetAssemblyReference(h).Name)).ToList();
        var types = reader.TypeDefinitions.Select(h => reader.GetTypeDefinition(h))
            .Select(t => $"{reader.GetString(t.Namespace)}.{reader.GetString(t.Name)}").ToList();
        return (references, types);
    }
}
