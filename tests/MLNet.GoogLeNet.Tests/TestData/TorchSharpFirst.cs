using System.Runtime.CompilerServices;
using MLNet.GoogLeNet.Native;

namespace MLNet.GoogLeNet.Tests.TestData;

internal static class TorchSharpFirst
{
    // Some tests use TorchSharp before any type of the library, and xunit runs them in any order. As
    // docs/native-loading.md tells applications that do so, make the library's native-loading fix ready first.
    [ModuleInitializer]
    internal static void PrepareNativeLoading() =>
        RuntimeHelpers.RunModuleConstructor(typeof(TorchRuntime).Module.ModuleHandle);
}
