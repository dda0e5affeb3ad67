using System.Diagnostics;
using SmtpCodec.Client;

namespace SmtpCodec.Cli.Verbs;

/// <summary>
/// The driver of <c>smtpcodec blast</c>: one loop that keeps a window of sends pending on the pool and collects their
/// results in submission order, as the benchmark runner's SmtpSender contender does (bench/SmtpCodec.Benchmarks).
/// Each slot of the window owns one message buffer whose Message-ID is rewritten in place before its send (the
/// slot's previous delivery has been collected by then, so the pool is done with the buffer), so the driver allocates
/// nothing per message. A message's latency runs from its submission to the collection of its result.
/// </summary>
/// <remarks>
/// A loop per pending message (64 per connection, each awaiting its send) cost a continuation on the thread pool for
/// every message: on one connection to Postfix's smtp-sink that driver reached about 0.6 of the runner's figure for
/// the same pool; collecting results that are mostly complete already by the time the loop reaches them costs none.
/// </remarks>
internal sealed class BlastRun(SmtpSender sender, BlastVerb.Settings settings)
{
    /// <summary>At most this many bytes of message buffers in the window (and at most 1,024 pending sends).</summary>
    private const long WindowBytes = 64L * 1024 * 1024;

    private const string From = "blast@smtpcodec.test";
    private const string To = "sink@smtpcodec.test";

    private readonly SmtpEnvelope _envelope = new(From, To);
    private readonly int[] _reasons = new int[Enum.GetValues<SmtpFailureReason>().Length];
    private long _sequence;
    private int _done;

    public async Task<BlastVerb.BlastResult> SendAsync(int count, bool measure, bool progress, CancellationToken cancellationToken)
    {
        _done = 0;
        Array.Clear(_reasons);
        long[] latencies = measure ? new long[count] : [];
        int window = (int)Math.Min(count, Math.Min(Math.Max(32, settings.Connections * 16), Math.Clamp(WindowBytes / settings.Size, 16, 1024)));
        var buffers = new BlastVerb.MessageTemplate[window];
        for (int i = 0; i < window; i++)
        {
            buffers[i] = new BlastVerb.MessageTemplate(settings.Size);
        }

        var pending = new ValueTask<SmtpDelivery>[window];
        long[] submittedAt = new long[window];
        using var bar = progress ? new BlastVerb.ProgressBar(count, () => Volatile.Read(ref _done)) : null;
        GC.Collect();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        TimeSpan cpuBefore = Environment.CpuUsage.TotalTime;
        long start = Stopwatch.GetTimestamp();
        int submitted = 0, completed = 0;
        while (completed < count)
        {
            if (submitted < count && submitted - completed < window)
            {
                int slot = submitted % window;
                buffers[slot].SetMessageId(++_sequence);
                submittedAt[slot] = Stopwatch.GetTimestamp();

                // Each pending send is awaited exactly once, in submission order, before its slot is used again.
#pragma warning disable CA2012
                pending[slot] = sender.SendAsync(_envelope, buffers[slot].Bytes, cancellationToken);
#pragma warning restore CA2012
                submitted++;
                continue;
            }

            int done = completed % window;
            SmtpDelivery delivery = await pending[done].ConfigureAwait(false);
            if (measure)
            {
                latencies[completed] = Stopwatch.GetTimestamp() - submittedAt[done];
            }

            _reasons[(int)delivery.Reason]++;
            completed++;
            Volatile.Write(ref _done, completed);
        }

        long end = Stopwatch.GetTimestamp();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        TimeSpan cpu = Environment.CpuUsage.TotalTime - cpuBefore;
        bar?.Finish();

        var failedByReason = new List<(SmtpFailureReason, int)>();
        int failed = 0;
        for (int r = 1; r < _reasons.Length; r++)
        {
            if (_reasons[r] > 0)
            {
                failedByReason.Add(((SmtpFailureReason)r, _reasons[r]));
                failed += _reasons[r];
            }
        }

        return new BlastVerb.BlastResult(count, _reasons[0], failed, Stopwatch.GetElapsedTime(start, end).TotalSeconds, allocated, latencies, failedByReason)
        {
            CpuSeconds = cpu.TotalSeconds,
        };
    }
}
