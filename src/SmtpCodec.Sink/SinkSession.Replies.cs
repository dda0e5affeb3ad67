using System.Buffers;
using System.Diagnostics;

namespace SmtpCodec.Sink;

/// <summary>
/// When replies leave: at once, or, with a reply delay (a WAN's latency) or a delay fault, staged in
/// <see cref="_staging"/> as batches that fall due one delay after their commands arrived; a per-session
/// timer wakes the read loop (CancelPendingRead) when the oldest batch falls due. Staging is bounded: past
/// <see cref="MaxStagedBytes"/> the session reads nothing until replies leave, so a client that streams
/// commands is held back by TCP instead of growing the sink.
/// </summary>
internal sealed partial class SinkSession
{
    /// <summary>Staged replies past which the session stops reading (a read's worth of replies may go over it).</summary>
    internal const int MaxStagedBytes = 1024 * 1024;

    private readonly ReplyStaging? _staging;
    private readonly Queue<(long Due, long End)> _batches = new();
    private readonly long _delayTicks;
    private Timer? _timer;

    // When the commands being handled arrived, and what delay faults among them add (Stopwatch ticks).
    private long _arrived;
    private long _faultDelayTicks;

    // Batch ends count bytes since the session began: sending never rewrites the queue.
    private long _sentBytes;
    private long _lastBatchEnd;
    private long _lastDue;

    private IBufferWriter<byte> Replies => _staging ?? (IBufferWriter<byte>)_output;

    /// <summary>
    /// Marks the replies written since the last batch as due one delay (plus any delay fault) after their
    /// commands arrived, and never before an earlier batch: replies keep their order.
    /// </summary>
    private void EndBatch()
    {
        if (_staging is not null && _sentBytes + _staging.Count > _lastBatchEnd)
        {
            _lastBatchEnd = _sentBytes + _staging.Count;
            _lastDue = Math.Max(_lastDue, _arrived + _delayTicks + _faultDelayTicks);
            _batches.Enqueue((_lastDue, _lastBatchEnd));
            _sink.NoteStagedBytes(_staging.Count);
        }
    }

    /// <summary>Sends the replies that are due (or, with <paramref name="all"/>, waits for the last and sends them all).</summary>
    private async ValueTask SendRepliesAsync(bool all, CancellationToken cancellationToken)
    {
        if (_staging is null)
        {
            await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        if (all && _batches.Count > 0)
        {
            TimeSpan wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _lastDue);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }
        }

        long now = Stopwatch.GetTimestamp();
        long sendEnd = _sentBytes;
        while (_batches.TryPeek(out (long Due, long End) batch) && (all || batch.Due <= now))
        {
            sendEnd = batch.End;
            _batches.Dequeue();
        }

        int count = (int)(sendEnd - _sentBytes);
        if (count == 0)
        {
            return;
        }

        _output.Write(_staging.Written[..count]);
        _staging.RemovePrefix(count);
        _sentBytes = sendEnd;
        await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>While too many replies are staged, waits for the oldest batches to fall due and sends them.</summary>
    private async ValueTask WaitForStagingRoomAsync(CancellationToken cancellationToken)
    {
        while (_staging is { Count: > MaxStagedBytes } && _batches.TryPeek(out (long Due, long End) head))
        {
            TimeSpan wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), head.Due);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }

            await SendRepliesAsync(all: false, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Wakes the pending read when the oldest waiting batch falls due.</summary>
    private void ArmTimer()
    {
        if (_staging is null)
        {
            return;
        }

        if (!_batches.TryPeek(out (long Due, long End) head))
        {
            _timer?.Change(Timeout.Infinite, Timeout.Infinite);
            return;
        }

        _timer ??= new Timer(static state => ((SinkSession)state!)._input.CancelPendingRead(), this, Timeout.Infinite, Timeout.Infinite);
        TimeSpan wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), head.Due);
        _timer.Change(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }
}
