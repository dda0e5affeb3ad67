using System.Threading.Tasks.Sources;

namespace SmtpCodec.Client;

/// <summary>
/// Where a pool's idle workers wait for work. Each worker parks on its own <see cref="WorkerSignal"/>, and each
/// message queued wakes one parked worker, not all of them. A channel's own wait (<c>WaitToReadAsync</c>) would
/// allocate a waiter for every worker but one each time the queue runs dry and wake every waiting worker for each
/// message; parked here, a worker costs nothing per wait.
/// </summary>
/// <remarks>
/// A worker arms its signal, lists itself, and then looks at the queue once more; a submitter writes to the queue
/// and then looks for a listed worker. With a full fence on both sides between the write and the look, one of
/// the two always sees the other: no message waits in the queue while every worker sleeps.
/// </remarks>
internal sealed class WorkerParking(int workers)
{
    private readonly Lock _gate = new();
    private readonly WorkerSignal?[] _parked = new WorkerSignal?[workers];
    private int _count;

    /// <summary>Lists an armed signal as parked.</summary>
    public void Add(WorkerSignal signal)
    {
        lock (_gate)
        {
            if (!signal.Listed)
            {
                signal.Listed = true;
                _parked[_count] = signal;
                Volatile.Write(ref _count, _count + 1);
            }
        }

        // The look at the queue that follows must not move before the listing.
        Interlocked.MemoryBarrier();
    }

    /// <summary>Takes a signal off the list (its worker woke for another reason, or goes on working).</summary>
    public void Remove(WorkerSignal signal)
    {
        lock (_gate)
        {
            if (!signal.Listed)
            {
                return;
            }

            signal.Listed = false;
            int index = Array.IndexOf(_parked, signal, 0, _count);
            _parked[index] = _parked[_count - 1];
            _parked[_count - 1] = null;
            Volatile.Write(ref _count, _count - 1);
        }
    }

    /// <summary>A message was queued: wakes one parked worker, if one is parked.</summary>
    public void WakeOne()
    {
        // The write to the queue that came before must not move after this look.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _count) == 0)
        {
            return;
        }

        lock (_gate)
        {
            while (_count > 0)
            {
                if (Pop().Wake(byWork: true))
                {
                    return;
                }
            }
        }
    }

    /// <summary>The sender stops: every parked worker wakes to see it.</summary>
    public void WakeAll()
    {
        lock (_gate)
        {
            while (_count > 0)
            {
                Pop().Wake(byWork: true);
            }
        }
    }

    private WorkerSignal Pop()
    {
        int last = _count - 1;
        WorkerSignal signal = _parked[last]!;
        _parked[last] = null;
        signal.Listed = false;
        Volatile.Write(ref _count, last);
        return signal;
    }
}

/// <summary>
/// One worker's reusable wake-up: armed before each wait, completed once by whoever wakes it first (a submitter,
/// the stop, or its own timer for a due retry or an idle NOOP). One object and one timer for the worker's life.
/// </summary>
internal sealed class WorkerSignal : IValueTaskSource<bool>, IDisposable
{
    private const int Disarmed = 0;
    private const int Armed = 1;

    // Timer.Change takes at most about 49 days; a longer wait is a series of wake-ups that find nothing due.
    private static readonly TimeSpan LongestTimer = TimeSpan.FromDays(1);

    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private Timer? _timer;
    private bool _timerSet;
    private int _state;

    /// <summary>Whether it is on the parking list (read and written under the list's lock).</summary>
    public bool Listed { get; set; }

    /// <summary>Arms the signal for one wait; the result says whether work (true) or the timer (false) woke it.</summary>
    public ValueTask<bool> Arm()
    {
        _core.Reset();
        Volatile.Write(ref _state, Armed);
        return new ValueTask<bool>(this, _core.Version);
    }

    /// <summary>Wakes the armed signal after <paramref name="delay"/> unless something wakes it first.</summary>
    public void WakeAfter(TimeSpan delay)
    {
        _timer ??= new Timer(static state => ((WorkerSignal)state!).Wake(byWork: false), this, Timeout.Infinite, Timeout.Infinite);
        _timer.Change(delay < TimeSpan.Zero ? TimeSpan.Zero : delay > LongestTimer ? LongestTimer : delay, Timeout.InfiniteTimeSpan);
        _timerSet = true;
    }

    /// <summary>Completes the armed signal; false when it was not armed (woken already, or not waiting).</summary>
    public bool Wake(bool byWork)
    {
        if (Interlocked.Exchange(ref _state, Disarmed) != Armed)
        {
            return false;
        }

        _core.SetResult(byWork);
        return true;
    }

    /// <summary>Takes back an armed signal nobody woke (its worker found work itself); false when it was woken meanwhile.</summary>
    public bool Disarm() => Interlocked.Exchange(ref _state, Disarmed) == Armed;

    /// <summary>After a wait: a timer still pending must not cut the next wait short.</summary>
    public void StopTimer()
    {
        if (_timerSet)
        {
            _timer!.Change(Timeout.Infinite, Timeout.Infinite);
            _timerSet = false;
        }
    }

    public void Dispose()
    {
        Disarm();
        _timer?.Dispose();
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
