using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using System.Security.Cryptography;
using TorchSharp;

namespace MLNet.GoogLeNet.Native;

/// <summary>
/// Lets TorchSharp 0.107 load on Linux systems whose libstdc++ predates GCC 13 (Debian 12, Ubuntu 22.04).
/// </summary>
/// <remarks>
/// <para>libLibTorchSharp.so asks libstdc++.so.6 for the version GLIBCXX_3.4.32 for one symbol only,
/// <c>std::ios_base_library_init</c>, a link-time marker that GCC 13's &lt;iostream&gt; references and never calls.
/// Where the libstdc++ that the dynamic loader picks lacks it, the loader refuses the whole library.</para>
/// <para>The fix is made at run time because only then is the libstdc++ known that the loader actually uses (system,
/// Conda, <c>LD_LIBRARY_PATH</c>), and because it then reaches every application alike, however it references this
/// library and wherever it was built. It is a fallback: the runtime raises
/// <see cref="AssemblyLoadContext.ResolvingUnmanagedDll"/> only after its own search for TorchSharp's library has
/// failed, so where the library loads nothing here runs. When it runs, it asks the loader why the library failed;
/// only for the missing GLIBCXX_3.4.32 does it write a copy with that one version need marked weak to the user's
/// cache folder (temporary file, then rename) and load that copy. Nothing else changes: not the application's
/// files, not the NuGet package cache, not the system.</para>
/// <para>Turned off by the runtime configuration switch <c>MLNet.GoogLeNet.PatchLibTorchSharp=false</c> (MSBuild
/// property <c>GoogLeNetPatchLibTorchSharp=false</c>). See docs/native-loading.md.</para>
/// </remarks>
internal static class LibTorchSharpLoader
{
    /// <summary>The runtimeconfig.json switch; false turns the fix off.</summary>
    public const string Switch = "MLNet.GoogLeNet.PatchLibTorchSharp";

    /// <summary>The one version the fix makes optional.</summary>
    public const string Version = "GLIBCXX_3.4.32";

    private const string LibraryName = "LibTorchSharp";
    private const string FileName = "libLibTorchSharp.so";

    private static readonly object Gate = new();
    private static bool registered;
    private static bool attempted;
    private static IntPtr loaded;

    /// <summary>Why the fix did not load the library; null when it never ran or succeeded.</summary>
    public static string? Failure { get; private set; }

    /// <summary>The patched copy that was loaded; null when the fix was not needed (or not possible).</summary>
    public static string? PatchedCopy { get; private set; }

    /// <summary>True on Linux unless the application turned the fix off.</summary>
    public static bool Enabled =>
        OperatingSystem.IsLinux() && !(AppContext.TryGetSwitch(Switch, out bool on) && !on);

    // The handler must be in place before the first use of TorchSharp, which may come from the application's code
    // (building a module) before anything calls TorchRuntime.EnsureLoaded; the module initializer runs at the first
    // use of any type of this library. Registering only adds an event handler; all work waits for a failed load, and
    // the switch is read then too, so that an application can still set it before its first use of TorchSharp.
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries",
        Justification = "TorchSharp loads its native library once, at its first use; the fallback must be registered before.")]
    internal static void Register()
    {
        if (!OperatingSystem.IsLinux())
            return;
        lock (Gate)
        {
            if (registered)
                return;
            var torchSharp = typeof(torch).Assembly;
            (AssemblyLoadContext.GetLoadContext(torchSharp) ?? AssemblyLoadContext.Default).ResolvingUnmanagedDll +=
                (assembly, name) => assembly == torchSharp && name == LibraryName && Enabled ? Load() : IntPtr.Zero;
            registered = true;
        }
    }

    private static IntPtr Load()
    {
        lock (Gate)
        {
            // The runtime asks again for every P/Invoke it binds; the answer, handle or failure, is given once.
            if (attempted)
                return loaded;
            attempted = true;
            try
            {
                loaded = LoadPatched();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException
                                          or DllNotFoundException or BadImageFormatException)
            {
                Failure = e.Message;
            }
            return loaded;
        }
    }

    private static IntPtr LoadPatched()
    {
        string original = FindOriginal() ?? throw new DllNotFoundException(
            $"{FileName} was not found in the application's native search folders ({string.Join(", ", SearchFolders())}).");

        // The loader's own verdict, with the libstdc++ it really resolves. If the library loads after all, use it.
        try
        {
            return NativeLibrary.Load(original);
        }
        catch (DllNotFoundException e) when (e.Message.Contains(Version, StringComparison.Ordinal))
        {
            // the one failure the fix is for
        }

        byte[] elf = File.ReadAllBytes(original);
        string hash = Convert.ToHexStringLower(SHA256.HashData(elf))[..16];
        if (ElfVersionNeeds.MarkWeak(elf, Version) == ElfVersionNeeds.Outcome.NotNeeded)
            throw new InvalidDataException($"{original} does not need {Version}; the fix does not apply to it.");

        string copy = Path.Combine(CacheFolder(), hash, FileName);
        if (!File.Exists(copy) || !File.ReadAllBytes(copy).AsSpan().SequenceEqual(elf))
            IO.AtomicFile.Write(copy, stream => stream.Write(elf));

        // The copy's RUNPATH ($ORIGIN) points at the cache folder, where libtorch is not. The loader reuses a library
        // already loaded under the same soname, so load the dependencies that sit beside the original from there first.
        string folder = Path.GetDirectoryName(original)!;
        foreach (string needed in ElfVersionNeeds.Needed(elf))
        {
            string beside = Path.Combine(folder, needed);
            if (File.Exists(beside))
                NativeLibrary.Load(beside);
        }
        IntPtr handle = NativeLibrary.Load(copy);
        PatchedCopy = copy;
        return handle;
    }

    private static string? FindOriginal() =>
        SearchFolders().Select(folder => Path.Combine(folder, FileName)).FirstOrDefault(File.Exists);

    // The folders the host probes for native libraries: from the application's deps.json (runtimes/<rid>/native,
    // or the application folder after a RID-specific publish), then the application and TorchSharp's own folder.
    private static IEnumerable<string> SearchFolders()
    {
        var folders = (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") as string ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).ToList();
        folders.Add(AppContext.BaseDirectory);
        if (Path.GetDirectoryName(typeof(torch).Assembly.Location) is { Length: > 0 } torchSharpFolder)
            folders.Add(torchSharpFolder);
        return folders.Select(Path.GetFullPath).Distinct();
    }

    private static string CacheFolder()
    {
        string? root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(root) || !Path.IsPathRooted(root))
        {
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (string.IsNullOrEmpty(home))
                throw new IOException("neither XDG_CACHE_HOME nor HOME names a folder for the patched copy of " + FileName);
            root = Path.Combine(home, ".cache");
        }
        return Path.Combine(root, "MLNet.GoogLeNet", "native");
    }
}
