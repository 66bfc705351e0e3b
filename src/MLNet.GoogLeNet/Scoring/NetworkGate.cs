namespace MLNet.GoogLeNet.Scoring;

/// <summary>
/// Counts the threads using a network and lets it be freed only when none is: <see cref="Enter"/> before reading the
/// weights, <see cref="Use.Dispose"/> after, <see cref="CloseAndWait"/> to refuse new users and wait for the running ones.
/// A forward pass takes milliseconds to seconds, so a monitor is cheap beside it; a reader/writer lock would tie each
/// use to the thread that took it, and ML.NET may read a cursor on one thread and dispose it on another.
/// </summary>
internal sealed class NetworkGate
{
    private readonly object _lock = new();
    private int _users;
    private bool _closed;

    /// <summary>True once <see cref="CloseAndWait"/> has been called.</summary>
    public bool IsClosed
    {
        get
        {
            lock (_lock)
                return _closed;
        }
    }

    /// <summary>Counts one more user; false (and counts nothing) once the gate is closed.</summary>
    public bool Enter()
    {
        lock (_lock)
        {
            if (_closed)
                return false;
            _users++;
            return true;
        }
    }

    private void Leave()
    {
        lock (_lock)
        {
            _users--;
            if (_users == 0 && _closed)
                Monitor.PulseAll(_lock);
        }
    }

    /// <summary>
    /// Closes the gate and waits until every user has left. True for the call that closed it (it may free what the
    /// gate guards); false for later calls, which return at once.
    /// </summary>
    public bool CloseAndWait()
    {
        lock (_lock)
        {
            if (_closed)
                return false;
            _closed = true;
            while (_users > 0)
                Monitor.Wait(_lock);
            return true;
        }
    }

    /// <summary>One user's hold on the gate, released by <see cref="Dispose"/>.</summary>
    internal readonly struct Use(NetworkGate gate) : IDisposable
    {
        public void Dispose() => gate.Leave();
    }
}
