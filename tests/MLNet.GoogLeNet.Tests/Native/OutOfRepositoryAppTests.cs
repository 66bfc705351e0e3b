using System.Diagnostics;
using System.Globalization;
using MLNet.GoogLeNet.Native;
using MLNet.GoogLeNet.Tests.TestData;
using Xunit.Abstractions;

namespace MLNet.GoogLeNet.Tests.Native;

/// <summary>
/// A new user's application, outside the repository, trains one step wherever it gets the library from: a
/// ProjectReference to src/MLNet.GoogLeNet, a PackageReference to the packed package, and the published application.
/// </summary>
public class OutOfRepositoryAppTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(5);
    private const string PackageVersion = "0.0.0-localtest";

    // Builds a tiny network (32×32, a sixteenth of the widths) and takes one optimiser step. With --fix-off it turns the
    // native-loading fix off first, before any type of the library is used.
    private const string Program = """
        using System.Globalization;
        using MLNet.GoogLeNet.Modules;
        using TorchSharp;

        if (args.Contains("--fix-off"))
            AppContext.SetSwitch("MLNet.GoogLeNet.PatchLibTorchSharp", false);
        var network = new GoogLeNetNetwork(new GoogLeNetConfiguration(1, 2, 32, 32, WidthDivisor: 16), seed: 1);
        torch.manual_seed(1);
        var optimizer = torch.optim.SGD(network.parameters(), 0.01);
        using var images = torch.rand(2, 1, 32, 32);
        using var labels = torch.tensor(new long[] { 0, 1 });
        using var loss = torch.nn.functional.cross_entropy(network.forward(images), labels);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        Console.WriteLine("loss " + loss.item<float>().ToString("R", CultureInfo.InvariantCulture));
        """;

    [LinuxFact]
    public void App_trains_one_step_by_project_reference_by_package_reference_and_published()
    {
        // What this machine's loader does with the unpatched library, as the test process itself found out.
        TorchRuntime.EnsureLoaded();
        bool fixNeeded = LibTorchSharpLoader.PatchedCopy is not null;
        output.WriteLine($"fix needed here: {fixNeeded}");

        string root = Directory.CreateTempSubdirectory("googlenet-app-").FullName;
        string globalPackages = GlobalPackagesFolder();
        var environment = new Dictionary<string, string?>
        {
            // The patched copy goes to a cache folder of the test's own, where it can be looked for.
            ["XDG_CACHE_HOME"] = Path.Combine(root, "cache"),
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        };
        // dotnet test runs the tests with MSBuild's variables of its own build set; the apps' builds must find theirs.
        foreach (string name in Environment.GetEnvironmentVariables().Keys.Cast<string>()
                     .Where(n => n.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)))
            environment[name] = null;

        // Restore offline: the packages the library needs are in the machine's NuGet cache already (the test project
        // restored them); it serves as a read-only fallback folder and as the source. Only the packed MLNet.GoogLeNet is
        // extracted, into the test's own folder. Hard links instead of copies of libtorch's half a gigabyte: nothing
        // writes to them (the fix writes its copy to the cache folder).
        string[] common =
        [
            "-c", RepositoryPaths.Configuration, "--disable-build-servers", "-v", "quiet", "-nologo",
            "--source", globalPackages,
            "-p:CreateHardLinksForCopyLocalIfPossible=true", "-p:CreateHardLinksForPublishFilesIfPossible=true",
        ];
        try
        {
            File.WriteAllText(Path.Combine(root, "Directory.Build.props"), "<Project />"); // nothing from folders above
            File.WriteAllText(Path.Combine(root, "Directory.Build.targets"), "<Project />");
            string library = Path.Combine(RepositoryPaths.Root, "src", "MLNet.GoogLeNet", "MLNet.GoogLeNet.csproj");

            // 1. ProjectReference, as someone who clones the repository starts. The library was built with the tests; its
            //    restore and build outputs in the repository are left alone.
            string byProject = WriteApp(root, "by-project", $"""<ProjectReference Include="{library}" />""", globalPackages);
            Run("build (ProjectReference)", ["build", .. common, "-p:BuildProjectReferences=false", "-p:RestoreRecursive=false"],
                byProject, environment);
            string byProjectDll = Path.Combine(byProject, "bin", RepositoryPaths.Configuration, "net10.0", "App.dll");
            AssertTrainsOneStep("run (ProjectReference)", byProjectDll, environment);

            // With the fix turned off, the same application fails exactly where the loader refuses the library.
            var off = Timed("run (ProjectReference, fix off)", () => ProcessRunner.Dotnet([byProjectDll, "--fix-off"],
                CommandTimeout, byProject, environment));
            Assert.True((off.ExitCode != 0) == fixNeeded, off.Output + off.Error);
            if (fixNeeded)
                Assert.Contains(LibTorchSharpLoader.Version, off.Error);

            // 2. PackageReference to the packed library, for linux-x64 so that the natives lie flat in the output folder.
            //    The library's package depends on the serving package (MLNet.GoogLeNet.Serving), packed beside it.
            string feed = Path.Combine(root, "feed");
            string serving = Path.Combine(RepositoryPaths.Root, "src", "MLNet.GoogLeNet.Serving", "MLNet.GoogLeNet.Serving.csproj");
            foreach (string project in new[] { serving, library })
            {
                Run("pack " + Path.GetFileNameWithoutExtension(project),
                    ["pack", project, "-c", RepositoryPaths.Configuration, "--no-build", "-v", "quiet", "-nologo",
                        "-o", feed, $"-p:PackageVersion={PackageVersion}", $"-p:NuspecOutputPath={Path.Combine(root, "nuspec")}/"],
                    root, environment);
            }
            string byPackage = WriteApp(root, "by-package",
                $"""<PackageReference Include="MLNet.GoogLeNet" Version="{PackageVersion}" />""", globalPackages,
                "<RuntimeIdentifier>linux-x64</RuntimeIdentifier><SelfContained>false</SelfContained>");
            Run("build (PackageReference)", ["build", .. common, "--source", feed], byPackage, environment);
            AssertTrainsOneStep("run (PackageReference)",
                Path.Combine(byPackage, "bin", RepositoryPaths.Configuration, "net10.0", "linux-x64", "App.dll"), environment);

            // The package's MSBuild property turns the fix off through the runtime configuration.
            var property = Run("evaluate GoogLeNetPatchLibTorchSharp=false",
                ["msbuild", "-getItem:RuntimeHostConfigurationOption", "-p:GoogLeNetPatchLibTorchSharp=false", "-nologo"],
                byPackage, environment);
            Assert.Contains("MLNet.GoogLeNet.PatchLibTorchSharp", property.Output);

            // 3. The published application, run from its publish folder.
            string published = Path.Combine(root, "published");
            Run("publish (PackageReference)",
                ["publish", "-c", RepositoryPaths.Configuration, "--no-build", "--disable-build-servers", "-v", "quiet", "-nologo",
                    "-o", published, "-p:CreateHardLinksForPublishFilesIfPossible=true"],
                byPackage, environment);
            AssertTrainsOneStep("run (published)", Path.Combine(published, "App.dll"), environment);

            // The fix ran exactly where this machine's loader needs it, and left the NuGet cache as it was.
            Assert.Equal(fixNeeded, Directory.Exists(Path.Combine(root, "cache", "MLNet.GoogLeNet", "native")));
            string cached = Path.Combine(globalPackages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
            Assert.Equal(ElfVersionNeeds.Outcome.Marked, ElfVersionNeeds.MarkWeak(File.ReadAllBytes(cached), LibTorchSharpLoader.Version));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static string WriteApp(string root, string name, string reference, string globalPackages, string properties = "")
    {
        string folder = Path.Combine(root, name);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <RestorePackagesPath>{Path.Combine(root, "packages")}</RestorePackagesPath>
                <RestoreFallbackFolders>{globalPackages}</RestoreFallbackFolders>
                {properties}
              </PropertyGroup>
              <ItemGroup>
                {reference}
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(folder, "Program.cs"), Program);
        return folder;
    }

    private void AssertTrainsOneStep(string step, string dll, IReadOnlyDictionary<string, string?> environment)
    {
        Assert.True(File.Exists(dll), $"{dll} was not built");
        var result = Timed(step, () => ProcessRunner.Dotnet([dll], CommandTimeout, Path.GetDirectoryName(dll)!, environment));
        Assert.True(result.ExitCode == 0, $"{step} failed:\n{result.Output}\n{result.Error}");
        string line = result.Output.Split('\n').Single(l => l.StartsWith("loss ", StringComparison.Ordinal));
        float loss = float.Parse(line["loss ".Length..], CultureInfo.InvariantCulture);
        Assert.True(float.IsFinite(loss) && loss > 0, $"{step}: loss {loss}");
    }

    private ProcessRunner.Result Run(string step, string[] arguments, string folder, IReadOnlyDictionary<string, string?> environment)
    {
        var result = Timed(step, () => ProcessRunner.Dotnet(arguments, CommandTimeout, folder, environment));
        Assert.True(result.ExitCode == 0, $"{step} failed:\n{result.Output}\n{result.Error}");
        return result;
    }

    private T Timed<T>(string step, Func<T> action)
    {
        var watch = Stopwatch.StartNew();
        T result = action();
        output.WriteLine($"{step}: {watch.Elapsed.TotalSeconds:F1} s");
        return result;
    }

    private static string GlobalPackagesFolder() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } folder
            ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
}
