namespace MLNet.GoogLeNet.Tests.TestData;

/// <summary>An IProgress that calls its handler on the reporting thread (Progress&lt;T&gt; posts to the thread pool).</summary>
public sealed class SyncProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
