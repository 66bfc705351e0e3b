using System.Reflection;
using MLNet.GoogLeNet.Tests.TestData;

namespace MLNet.GoogLeNet.Tests;

/// <summary>
/// The API listings of the library and of the serving assembly (src/MLNet.GoogLeNet/PublicAPI.*.txt,
/// src/MLNet.GoogLeNet.Serving/PublicAPI.*.txt) name what each built assembly makes public. The build already fails
/// when they differ (Microsoft.CodeAnalysis.PublicApiAnalyzers, warnings as errors); this test checks the same from the
/// other side, by reflection, so that a listing that stops being enforced (the analyzer dropped, its files no longer
/// passed to it) shows up too. It compares names, not signatures: one entry per type, member or accessor, overloads
/// merged.
/// </summary>
public sealed class PublicApiTests
{
    private const BindingFlags Declared =
        BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    public static TheoryData<string> Projects => ["MLNet.GoogLeNet", "MLNet.GoogLeNet.Serving"];

    /// <summary>The built assembly of a project under src/, as the tests load it.</summary>
    private static Assembly Built(string project) => project switch
    {
        "MLNet.GoogLeNet" => typeof(GoogLeNetTrainer).Assembly,
        "MLNet.GoogLeNet.Serving" => typeof(ServingInput).Assembly,
        _ => throw new ArgumentOutOfRangeException(nameof(project), project, null),
    };

    [Theory]
    [MemberData(nameof(Projects))]
    public void Api_listing_names_exactly_the_public_types_and_members(string project)
    {
        var listed = ListedNames(project);
        var built = Built(project).GetExportedTypes().SelectMany(PublicNames).ToHashSet(StringComparer.Ordinal);

        var unlisted = built.Except(listed).Order(StringComparer.Ordinal).ToList();
        var gone = listed.Except(built).Order(StringComparer.Ordinal).ToList();
        Assert.True(unlisted.Count == 0 && gone.Count == 0,
            $"src/{project}/PublicAPI.*.txt is out of step with the assembly (docs/architecture.md, \"Public surface\").\n" +
            $"Public but not listed:\n  {string.Join("\n  ", unlisted)}\nListed but not public:\n  {string.Join("\n  ", gone)}");
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public void Project_passes_the_listing_to_the_analyzer(string name)
    {
        string project = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "src", name, name + ".csproj"));
        Assert.Contains("Microsoft.CodeAnalysis.PublicApiAnalyzers", project);
        Assert.Contains("<AdditionalFiles Include=\"PublicAPI.Shipped.txt\" />", project);
        Assert.Contains("<AdditionalFiles Include=\"PublicAPI.Unshipped.txt\" />", project);
    }

    /// <summary>The entries of both files, reduced to names: "static", "override" and the like, parameters and types dropped.</summary>
    private static HashSet<string> ListedNames(string project)
    {
        string folder = Path.Combine(RepositoryPaths.Root, "src", project);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var removed = new HashSet<string>(StringComparer.Ordinal);
        foreach (string file in new[] { "PublicAPI.Shipped.txt", "PublicAPI.Unshipped.txt" })
        {
            foreach (string line in File.ReadAllLines(Path.Combine(folder, file)))
            {
                if (line.Length == 0 || line.StartsWith('#'))
                    continue;
                const string removedMark = "*REMOVED*";
                bool isRemoved = line.StartsWith(removedMark, StringComparison.Ordinal);
                (isRemoved ? removed : names).Add(NameOf(isRemoved ? line[removedMark.Length..] : line));
            }
        }
        names.ExceptWith(removed);
        return names;
    }

    private static string NameOf(string entry)
    {
        string[] modifiers = ["static ", "const ", "override ", "virtual ", "abstract ", "sealed ", "readonly ", "event ", "new "];
        entry = entry.TrimStart('~'); // oblivious nullability
        bool stripped;
        do
        {
            stripped = false;
            foreach (string modifier in modifiers)
            {
                if (entry.StartsWith(modifier, StringComparison.Ordinal))
                {
                    entry = entry[modifier.Length..];
                    stripped = true;
                }
            }
        } while (stripped);
        int end = new[] { entry.IndexOf('(', StringComparison.Ordinal), entry.IndexOf(" -> ", StringComparison.Ordinal), entry.IndexOf(" = ", StringComparison.Ordinal) }
            .Where(i => i >= 0).DefaultIfEmpty(entry.Length).Min();
        string name = entry[..end];
        return name.EndsWith(".init", StringComparison.Ordinal) ? name[..^".init".Length] + ".set" : name;
    }

    /// <summary>A public type's own entry and those of its public members, spelled as the listing spells them.</summary>
    private static IEnumerable<string> PublicNames(Type type)
    {
        string typeName = TypeName(type);
        yield return typeName;
        if (type.IsEnum)
        {
            foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Static))
                yield return $"{typeName}.{field.Name}";
            yield break;
        }
        string simpleName = type.Name.Split('`')[0];
        if (type.IsValueType)
            yield return $"{typeName}.{simpleName}"; // the implicit parameterless constructor
        foreach (var member in type.GetMembers(Declared))
        {
            switch (member)
            {
                case ConstructorInfo { IsStatic: false }:
                    yield return $"{typeName}.{simpleName}";
                    break;
                case MethodInfo { IsSpecialName: true } accessor when accessor.Name.StartsWith("get_", StringComparison.Ordinal):
                    yield return $"{typeName}.{accessor.Name[4..]}.get";
                    break;
                case MethodInfo { IsSpecialName: true } accessor when accessor.Name.StartsWith("set_", StringComparison.Ordinal):
                    yield return $"{typeName}.{accessor.Name[4..]}.set";
                    break;
                case MethodInfo { IsSpecialName: true, Name: "op_Equality" }:
                    yield return $"{typeName}.operator ==";
                    break;
                case MethodInfo { IsSpecialName: true, Name: "op_Inequality" }:
                    yield return $"{typeName}.operator !=";
                    break;
                case MethodInfo { IsSpecialName: true } other:
                    yield return $"{typeName}.{other.Name}"; // an operator or event accessor this test does not spell yet: shows up as a difference
                    break;
                case MethodInfo method:
                    yield return $"{typeName}.{method.Name}";
                    break;
                case FieldInfo field:
                    yield return $"{typeName}.{field.Name}";
                    break;
            }
        }
    }

    private static string TypeName(Type type)
    {
        string name = type.IsNested ? TypeName(type.DeclaringType!) + "." + type.Name : type.FullName!;
        if (!type.IsGenericTypeDefinition)
            return name;
        var arguments = type.GetGenericArguments().Skip(type.IsNested ? type.DeclaringType!.GetGenericArguments().Length : 0);
        return name.Split('`')[0] + "<" + string.Join(", ", arguments.Select(a => a.Name)) + ">";
    }
}
