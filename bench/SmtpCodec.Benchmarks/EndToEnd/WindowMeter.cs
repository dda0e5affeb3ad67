using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SmtpCodec.Benchmarks.EndToEnd;

/// <summary>
/// The timed window of a run in this process: wall time, allocated bytes (process-wide, precise), CPU time of the
/// whole process (user + system, every thread: <see cref="Environment.CpuUsage"/>), the peak of the GC heap, sampled
/// every 10 ms by a thread of its own (<see cref="GC.GetTotalMemory(bool)"/> allocates nothing), and on Linux the peak
/// resident set of the window (the kernel's high-water mark, reset at the start through /proc/self/clear_refs and
/// read from VmHWM at the end). The window starts with a full collection, so the heap peak is what the run holds at once.
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
    private readonly long _heapAtStart;

    private WindowMeter()
    {
        // What the contender built before the window (the message rendered through strings, say) is garbage by now.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        _heapAtStart = GC.GetTotalMemory(forceFullCollection: false);
        _sampler = new Thread(Sample) { IsBackground = true, Name = "e2e peak sampler" };
        _sampler.Start();
        ResetResidentPeak();
        _allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        Environment.ProcessCpuUsage usage = Environment.CpuUsage;
        (_cpuBefore, _userCpuBefore) = (usage.TotalTime, usage.UserTime);
        _clock = Stopwatch.StartNew();
    }

    public static WindowMeter Start() => new();

    public RunResult Finish(int messages, int accepted, bool stoppedEarly, string? error)
    {
        _clock.Stop();
        Environment.ProcessCpuUsage usage = Environment.CpuUsage;
        TimeSpan cpu = usage.TotalTime - _cpuBefore, user = usage.UserTime - _userCpuBefore;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - _allocatedBefore;
        Dispose();
        long? resident = ResidentPeak();
        return new RunResult(messages, accepted, _clock.Elapsed.TotalSeconds, messages > 0 ? (double)allocated / messages : null, stoppedEarly, error)
        {
            CpuMicrosecondsPerMessage = messages > 0 ? cpu.TotalMicroseconds / messages : null,
            UserCpuMicrosecondsPerMessage = messages > 0 ? user.TotalMicroseconds / messages : null,
            PeakHeapBytes = Interlocked.Read(ref _peakHeap),
            HeapAtStartBytes = _heapAtStart,
            PeakWorkingSetBytes = resident,
        };
    }

    public void Dispose()
    {
        _stop = true;
        _sampler.Join();
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
