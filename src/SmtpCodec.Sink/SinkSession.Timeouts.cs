using System.Buffers;
using System.Diagnostics;

namespace SmtpCodec.Sink;

/// <summary>
/// The command timeout (RFC 5321 section 4.5.3.2.7): each command line must be complete within
/// <see cref="SmtpSinkOptions.CommandTimeout"/> of the moment the sink began to wait for it, and message content
/// must come at least <see cref="ContentBlock"/> bytes per timeout. It is a deadline: bytes that complete nothing
/// (a drip, an endless line) do not move it. Past it the session says <c>421 4.4.2</c> and closes. A timer wakes
/// the read loop only when the deadline really passed; moving the deadline is a field write.
/// </summary>
internal sealed partial class SinkSession
{
    /// <summary>Message content that counts as progress, like a complete command line.</summary>
    internal const int ContentBlock = 64 * 1024;

    // At most this long between two looks at the deadline (the timer's range is limited, and a far deadline may move nearer).
    private static readonly TimeSpan s_longestWait = TimeSpan.FromHours(1);

    private readonly long _commandTimeoutTicks;
    private Timer? _deadlineTimer;
    private long _deadline;
    private volatile bool _timedOut;
    private bool _progress;
    private long _contentSinceProgress;

    /// <summary>Starts the clock for the first command (after the greeting, or after the TLS handshake).</summary>
    private void StartDeadline()
    {
        Volatile.Write(ref _deadline, Stopwatch.GetTimestamp() + _commandTimeoutTicks);
        _deadlineTimer ??= new Timer(static state => ((SinkSession)state!).OnDeadline(), this, Timeout.Infinite, Timeout.Infinite);
        _deadlineTimer.Change(Until(_deadline), Timeout.InfiniteTimeSpan);
    }

    /// <summary>After a complete command (or a block of content): the next one has a full timeout, from when its replies leave.</summary>
    private void ExtendDeadline()
    {
        if (!_progress)
        {
            return;
        }

        _progress = false;
        _contentSinceProgress = 0;
        long from = Math.Max(Stopwatch.GetTimestamp(), _staging is null ? 0 : _lastDue);
        Volatile.Write(ref _deadline, from + _commandTimeoutTicks);
    }

    /// <summary>Content taken off the pipe: every <see cref="ContentBlock"/> bytes of it is progress.</summary>
    private void CountContent(long bytes)
    {
        _contentSinceProgress += bytes;
        if (_contentSinceProgress >= ContentBlock || _mode == Mode.Commands)
        {
            _progress = true;
        }
    }

    /// <summary>No deadline while the sink itself waits (the TLS handshake has a timeout of its own).</summary>
    private void SuspendDeadline() => Volatile.Write(ref _deadline, long.MaxValue);

    private void OnDeadline()
    {
        long deadline = Volatile.Read(ref _deadline);
        if (Stopwatch.GetTimestamp() < deadline)
        {
            try
            {
                _deadlineTimer?.Change(Until(deadline), Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // The session ended meanwhile.
            }

            return;
        }

        // Wakes the read loop, or a flush stuck on a client that reads nothing.
        _timedOut = true;
        _input.CancelPendingRead();
        _output.CancelPendingFlush();
    }

    private static TimeSpan Until(long deadline)
    {
        long now = Stopwatch.GetTimestamp();
        if (deadline - now > (long)(s_longestWait.TotalSeconds * Stopwatch.Frequency))
        {
            return s_longestWait;
        }

        TimeSpan wait = Stopwatch.GetElapsedTime(now, deadline);
        return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
    }

    /// <summary>
    /// Says <c>421 4.4.2</c> and ends the session at once: a client that sends nothing may read nothing either, so
    /// the reply gets <see cref="ClosingWait"/> to leave, and there is no lingering read.
    /// </summary>
    private async Task TimeOutAsync(CancellationToken cancellationToken)
    {
        _mode = Mode.Closing;
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(ClosingWait);
        _output.Write("421 4.4.2 "u8);
        WriteAscii(_output, _options.ServerName);
        _output.Write(" Timeout waiting for the client, closing connection\r\n"u8);

        // The timer cancelled the flush that would have been pending: the next one goes through.
        if ((await _output.FlushAsync(bounded.Token).ConfigureAwait(false)).IsCanceled)
        {
            await _output.FlushAsync(bounded.Token).ConfigureAwait(false);
        }

        ShutDownSending();
    }
}
