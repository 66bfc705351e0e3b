namespace MLNet.GoogLeNet;

/// <summary>
/// An <see cref="IProgress{T}"/> that calls its handler at once, on the training thread. (.NET's
/// <see cref="Progress{T}"/> posts each report to the synchronization context or the thread pool, so reports can
/// arrive late and out of order.) Use it for <see cref="GoogLeNetTrainerOptions.StartProgress"/>,
/// <see cref="GoogLeNetTrainerOptions.EpochProgress"/> and <see cref="GoogLeNetTrainerOptions.BatchProgress"/> when the
/// order matters or the handler reads training state.
/// </summary>
/// <typeparam name="T">The report type: <see cref="TrainingStart"/>, <see cref="EpochReport"/> or <see cref="BatchProgress"/>.</typeparam>
/// <param name="handler">Called with every report; keep it short, training waits for it.</param>
public sealed class ProgressHandler<T>(Action<T> handler) : IProgress<T>
{
    private readonly Action<T> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    /// <inheritdoc/>
    public void Report(T value) => _handler(value);
}
