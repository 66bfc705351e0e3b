using System.Diagnostics;
using System.Globalization;
using MLNet.GoogLeNet.Native;
using MLNet.GoogLeNet.Tests.TestData;
using Xunit.Abstractions;

namespace MLNet.GoogLeNet.Tests.Native;

/// <summary>
/// A new user's application, outside the repository, trains one step wherever it gets the library from: a
/// ProjectReference to src/MLNet.GoogLeNet, a PackageReference to the packed package, and the published application.
/// And an application on the current ML.NET, referencing Microsoft.ML and Microsoft.ML.ImageAnalytics itself beside the
/// packed package, trains through an ML.NET pipeline, saves, loads and predicts.
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

        string root = NewRoot();
        string globalPackages = GlobalPackagesFolder();
        var environment = AppEnvironment(root);
        string[] common = CommonArguments(globalPackages);
        try
        {
            // 1. ProjectReference, as someone who clones the repository starts. The library was built with the tests; its
            //    restore and build outputs in the repository are left alone.
            string byProject = WriteApp(root, "by-project", $"""<ProjectReference Include="{Library}" />""", globalPackages);
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
            string feed = Pack(root, environment);
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

    // An application on the current ML.NET: it references Microsoft.ML and Microsoft.ML.ImageAnalytics itself, beside the
    // packed MLNet.GoogLeNet. It draws 16 striped 32×32 PNGs (8 horizontal, 8 vertical) with ML.NET's own image type,
    // trains one optimiser step (one epoch of one batch of 16) through an ML.NET pipeline of ML.NET's image transforms and
    // the GoogLeNet trainer, saves the zip, loads it in a new MLContext and predicts an image with the loaded model and
    // with the fitted one.
    private const string PipelineProgram = """
        using System.Globalization;
        using System.Reflection;
        using Microsoft.ML;
        using Microsoft.ML.Data;
        using Microsoft.ML.Transforms.Image;
        using MLNet.GoogLeNet;

        string folder = args[0];
        var rows = new List<Row>();
        foreach (string label in new[] { "horizontal", "vertical" })
        {
            for (int i = 0; i < 8; i++)
            {
                var pixels = new byte[32 * 32 * 4];
                for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++)
                {
                    byte value = ((label == "horizontal" ? y : x) + i) % 8 < 4 ? (byte)220 : (byte)30;
                    int at = (y * 32 + x) * 4;
                    pixels[at] = pixels[at + 1] = pixels[at + 2] = value;
                    pixels[at + 3] = 255;
                }
                string path = Path.Combine(folder, $"{label}-{i}.png");
                using (var image = MLImage.CreateFromPixels(32, 32, MLPixelFormat.Bgra32, pixels))
                    image.Save(path);
                rows.Add(new Row { ImagePath = path, Label = label });
            }
        }

        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(rows);
        var options = new GoogLeNetTrainerOptions { Epochs = 1, BatchSize = 16, WidthDivisor = 16 };
        var pipeline = ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: "ImagePath")
            .Append(ml.Transforms.ConvertToGrayscale("Image"))
            .Append(ml.Transforms.ResizeImages("Image", 32, 32))
            .Append(ml.Transforms.ExtractPixels("Features", "Image", ImagePixelExtractingEstimator.ColorBits.Red, scaleImage: 1f / 255))
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            .Append(ml.MulticlassClassification.Trainers.GoogLeNet(ml, options))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(data);

        string zip = Path.Combine(folder, "model.zip");
        ml.Model.Save(model, data.Schema, zip);
        var loadContext = new MLContext();
        var loaded = loadContext.Model.Load(zip, out var inputSchema);
        using var loadedChain = (IDisposable)loaded;  // the loaded chain deletes its temporary copy of the network when disposed

        var row = new Row { ImagePath = rows[^1].ImagePath };
        using var fitted = ml.Model.CreatePredictionEngine<Row, Prediction>(model);
        using var engine = loadContext.Model.CreatePredictionEngine<Row, Prediction>(loaded);
        var before = fitted.Predict(row);
        var after = engine.Predict(row);

        Console.WriteLine("Microsoft.ML " + Version(typeof(MLContext)));
        Console.WriteLine("Microsoft.ML.ImageAnalytics " + Version(typeof(MLImage)));
        Console.WriteLine("SkiaSharp " + Version(Assembly.Load("SkiaSharp").GetType("SkiaSharp.SKBitmap")!));
        Console.WriteLine("input " + string.Join(",", inputSchema.Select(c => c.Name)));
        Console.WriteLine("predicted " + after.PredictedLabel + " " + before.PredictedLabel);
        Console.WriteLine("scores " + string.Join(" ", after.Score.Select(s => s.ToString("R", CultureInfo.InvariantCulture))));
        Console.WriteLine("difference " + after.Score.Zip(before.Score, (a, b) => Math.Abs(a - b)).Max().ToString("R", CultureInfo.InvariantCulture));

        static string Version(Type type) =>
            type.Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+', '-')[0];

        class Row
        {
            public string ImagePath { get; set; } = "";
            public string Label { get; set; } = "";
        }

        class Prediction
        {
            public float[] Score { get; set; } = [];
            public string PredictedLabel { get; set; } = "";
        }
        """;

    /// <summary>The ML.NET packages the application on the current ML.NET references itself.</summary>
    private const string CurrentMLNet = "6.0.0";

    [LinuxFact]
    public void App_on_the_current_MLNet_trains_through_a_pipeline_saves_loads_and_predicts_with_the_package()
    {
        string root = NewRoot();
        string globalPackages = GlobalPackagesFolder();
        var environment = AppEnvironment(root);
        try
        {
            string feed = Pack(root, environment);

            // The packages say which ML.NET versions they take: the 6.x line, not 5.x (whose image transforms SkiaSharp 3
            // breaks) and not a 7.x no build was tested with.
            foreach (string package in new[] { "MLNet.GoogLeNet", "MLNet.GoogLeNet.Serving" })
            {
                var nuspec = System.Xml.Linq.XDocument.Load(Path.Combine(root, "nuspec", $"{package}.{PackageVersion}.nuspec"));
                var dependencies = nuspec.Descendants().Where(e => e.Name.LocalName == "dependency")
                    .ToDictionary(e => (string)e.Attribute("id")!, e => (string)e.Attribute("version")!);
                foreach (string ml in new[] { "Microsoft.ML", "Microsoft.ML.ImageAnalytics", "Microsoft.ML.OnnxTransformer" })
                    Assert.Equal("[6.0.0, 7.0.0)", dependencies[ml]);
                Assert.StartsWith("3.", dependencies["SkiaSharp"]);
            }

            string app = WriteApp(root, "current-mlnet",
                $"""
                <PackageReference Include="Microsoft.ML" Version="{CurrentMLNet}" />
                <PackageReference Include="Microsoft.ML.ImageAnalytics" Version="{CurrentMLNet}" />
                <PackageReference Include="MLNet.GoogLeNet" Version="{PackageVersion}" />
                """,
                globalPackages,
                "<RuntimeIdentifier>linux-x64</RuntimeIdentifier><SelfContained>false</SelfContained><Nullable>enable</Nullable>",
                PipelineProgram);
            // No warning either: no NU1603 (a version asked for that the feed lacks), no NU1608 (a version outside a
            // dependency's range), no NU1605 (a downgrade).
            var build = Run("build (current ML.NET)",
                ["build", .. CommonArguments(globalPackages), "--source", feed, "-warnaserror"], app, environment);
            Assert.DoesNotMatch(@"(?i)\b(warning|error) [A-Z]+\d+", build.Output);

            string images = Directory.CreateDirectory(Path.Combine(root, "images")).FullName;
            string dll = Path.Combine(app, "bin", RepositoryPaths.Configuration, "net10.0", "linux-x64", "App.dll");
            var result = Timed("run (current ML.NET)", () => ProcessRunner.Dotnet([dll, images], CommandTimeout, app, environment));
            output.WriteLine(result.Output);
            Assert.True(result.ExitCode == 0, $"run failed:\n{result.Output}\n{result.Error}");
            string Line(string key) => result.Output.Split('\n').Single(l => l.StartsWith(key + " ", StringComparison.Ordinal))[(key.Length + 1)..].Trim();

            Assert.Equal(CurrentMLNet, Line("Microsoft.ML"));
            Assert.Equal(CurrentMLNet, Line("Microsoft.ML.ImageAnalytics"));
            Assert.StartsWith("3.119.", Line("SkiaSharp"));
            Assert.Equal("ImagePath,Label", Line("input"));
            string[] predicted = Line("predicted").Split(' ');
            Assert.Contains(predicted[0], new[] { "horizontal", "vertical" });
            Assert.Equal(predicted[1], predicted[0]);
            float[] scores = Line("scores").Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(2, scores.Length);
            Assert.InRange(scores.Sum(), 0.999f, 1.001f);
            // The saved zip scores with ONNX Runtime what the fitted pipeline scored with TorchSharp (SaveLoadTests' bound).
            Assert.InRange(double.Parse(Line("difference"), CultureInfo.InvariantCulture), 0, 1e-4);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static readonly string Library = Path.Combine(RepositoryPaths.Root, "src", "MLNet.GoogLeNet", "MLNet.GoogLeNet.csproj");
    private static readonly string Serving = Path.Combine(RepositoryPaths.Root, "src", "MLNet.GoogLeNet.Serving", "MLNet.GoogLeNet.Serving.csproj");

    /// <summary>A folder for one test's applications, with nothing of the repository's MSBuild files above it.</summary>
    private static string NewRoot()
    {
        string root = Directory.CreateTempSubdirectory("googlenet-app-").FullName;
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), "<Project />"); // nothing from folders above
        File.WriteAllText(Path.Combine(root, "Directory.Build.targets"), "<Project />");
        return root;
    }

    private static Dictionary<string, string?> AppEnvironment(string root)
    {
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
        return environment;
    }

    // Restore offline: the packages the library needs are in the machine's NuGet cache already (the test project
    // restored them); it serves as a read-only fallback folder and as the source. Only the packed MLNet.GoogLeNet is
    // extracted, into the test's own folder. Hard links instead of copies of libtorch's half a gigabyte: nothing
    // writes to them (the fix writes its copy to the cache folder).
    private static string[] CommonArguments(string globalPackages) =>
    [
        "-c", RepositoryPaths.Configuration, "--disable-build-servers", "-v", "quiet", "-nologo",
        "--source", globalPackages,
        "-p:CreateHardLinksForCopyLocalIfPossible=true", "-p:CreateHardLinksForPublishFilesIfPossible=true",
    ];

    /// <summary>Packs the serving package and the library's (built with the tests) into root/feed, their nuspecs into root/nuspec.</summary>
    private string Pack(string root, IReadOnlyDictionary<string, string?> environment)
    {
        string feed = Path.Combine(root, "feed");
        foreach (string project in new[] { Serving, Library })
        {
            Run("pack " + Path.GetFileNameWithoutExtension(project),
                ["pack", project, "-c", RepositoryPaths.Configuration, "--no-build", "-v", "quiet", "-nologo",
                    "-o", feed, $"-p:PackageVersion={PackageVersion}", $"-p:NuspecOutputPath={Path.Combine(root, "nuspec")}/"],
                root, environment);
        }
        return feed;
    }

    private static string WriteApp(string root, string name, string reference, string globalPackages, string properties = "",
        string program = Program)
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
        File.WriteAllText(Path.Combine(folder, "Program.cs"), program);
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
