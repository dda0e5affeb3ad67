using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SmtpCodec.Benchmarks.EndToEnd;

/// <summary>
/// The timed window of a run in this process: wall time, allocated bytes (process-wide, precise), CPU time of the
/// whole process (user + system, every thread: <see cref="Environment.CpuUsage"/>), and on Linux the peak resident set
/// of the window (the kernel's high-water mark, reset at the start through /proc/self/clear_refs and read from VmHWM
/// at the end). The GC heap (<see cref="GC.GetTotalMemory(bool)"/>, which allocates nothing) is read four times: after
/// a full collection once the contender's input is built and before it connects (<see cref="BaselineAsync"/>), after one
/// at the window's start, sampled every 10 ms over the window by a thread of its own (uncollected garbage included),
/// and after a full collection at the window's end, its connections still open. Held memory is the last over the
/// first: what the contender holds once it has sent (connections, buffers, what it put in shared pools), which a
/// window's start does not show, its warm-up having filled those already.
/// </summary>
internal sealed class WindowMeter : IDisposable
{
    private readonly Stopwatch _clock;
    private readonly long _allocatedBefore;
    private readonly TimeSpan _cpuBefore;
    private readonly TimeSpan _userCpuBefore;
    private readonly Thread _sampler;
    private volatile bool _stop;
    private long _peakHeap;
    private readonly long _heapBeforeSetup;
    private readonly long _heapAtStart;
    private readonly int _collectionsBefore;
    private readonly object _input;

    private WindowMeter(long heapBeforeSetup, object input)
    {
        _heapBeforeSetup = heapBeforeSetup;
        _input = input;

        // What the contender built before the window (the message rendered through strings, say) is garbage by now.
        _heapAtStart = CollectedHeap();
        _collectionsBefore = GC.CollectionCount(0);
        _sampler = new Thread(Sample) { IsBackground = true, Name = "e2e peak sampler" };
        _sampler.Start();
        ResetResidentPeak();
        _allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        Environment.ProcessCpuUsage usage = Environment.CpuUsage;
        (_cpuBefore, _userCpuBefore) = (usage.TotalTime, usage.UserTime);
        _clock = Stopwatch.StartNew();
    }

    /// <summary>
    /// The GC heap after a full collection, taken by a contender once its input (the message's bytes, parsed or
    /// rendered) is built and before it connects: the base of <see cref="RunResult.HeldHeapBytes"/>. It is read
    /// after a yield, once the contender's method has returned to its caller, so that what counts is what the
    /// contender keeps (its state across awaits), not what the JIT left in its stack frame (the strings the message
    /// was rendered through, say), which would be gone by the window's end.
    /// </summary>
    public static async Task<long> BaselineAsync()
    {
        await Task.Yield();
        return CollectedHeap();
    }

    /// <summary>
    /// Starts the window (after a full collection): <paramref name="heapBeforeSetup"/> is the contender's
    /// <see cref="BaselineAsync"/>, taken with <paramref name="input"/> built; the meter keeps the input alive until the
    /// heap is read at the end, so that it counts at both ends whatever the JIT thinks of the contender's locals.
    /// </summary>
    public static WindowMeter Start(long heapBeforeSetup, object input) => new(heapBeforeSetup, input);

    public RunResult Finish(int messages, int accepted, bool stoppedEarly, string? error)
    {
        _clock.Stop();
        Environment.ProcessCpuUsage usage = Environment.CpuUsage;
        TimeSpan cpu = usage.TotalTime - _cpuBefore, user = usage.UserTime - _userCpuBefore;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - _allocatedBefore;
        Dispose();
        long? resident = ResidentPeak();
        int collections = GC.CollectionCount(0) - _collectionsBefore;
        long atEnd = CollectedHeap();
        GC.KeepAlive(_input);
        return new RunResult(messages, accepted, _clock.Elapsed.TotalSeconds, messages > 0 ? (double)allocated / messages : null, stoppedEarly, error)
        {
            CpuMicrosecondsPerMessage = messages > 0 ? cpu.TotalMicroseconds / messages : null,
            UserCpuMicrosecondsPerMessage = messages > 0 ? user.TotalMicroseconds / messages : null,
            PeakHeapBytes = Interlocked.Read(ref _peakHeap),
            HeapAtStartBytes = _heapAtStart,
            HeapBeforeSetupBytes = _heapBeforeSetup,
            HeapAtEndBytes = atEnd,
            Collections = collections,
            PeakWorkingSetBytes = resident,
        };
    }

    public void Dispose()
    {
        _stop = true;
        _sampler.Join();
    }

    private static long CollectedHeap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: false);
    }

    private void Sample()
    {
        while (!_stop)
        {
            Interlocked.Exchange(ref _peakHeap, Math.Max(Interlocked.Read(ref _peakHeap), GC.GetTotalMemory(forceFullCollection: false)));
            Thread.Sleep(10);
        }
    }

    private static void ResetResidentPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // not Linux, or not allowed: VmHWM is then the process's peak so far
        }
    }

    private static long? ResidentPeak()
    {
        try
        {
            string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is not null && long.TryParse(line["VmHWM:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), out long kilobytes) ? kilobytes * 1024 : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>
/// CPU time of this process's waited-for children (getrusage RUSAGE_CHILDREN): the difference around one child's
/// life is that child's CPU time (the runner waits for no other child meanwhile; the servers it started live on).
/// </summary>
internal static partial class ChildCpu
{
    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
        public long MaxRss, IxRss, IdRss, IsRss, MinFlt, MajFlt, NSwap, InBlock, OuBlock, MsgSnd, MsgRcv, NSignals, NvCsw, NivCsw;
    }

    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static partial int GetRUsage(int who, out RUsage usage);

    /// <summary>The children's CPU time so far; null where getrusage is not there (not Linux).</summary>
    public static TimeSpan? Total()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        const int Children = -1;
        return GetRUsage(Children, out RUsage u) == 0
            ? TimeSpan.FromMicroseconds(((u.UserSeconds + u.SystemSeconds) * 1_000_000.0) + u.UserMicroseconds + u.SystemMicroseconds)
            : null;
    }
}
