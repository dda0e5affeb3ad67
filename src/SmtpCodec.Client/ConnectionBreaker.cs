using System.Diagnostics;

namespace SmtpCodec.Client;

/// <summary>
/// The pool's circuit breaker. A permanent failure to open a connection (AUTH refused, a required TLS refused,
/// an untrusted certificate, a 5xx greeting) opens it: no connection is attempted until <c>coolDown</c> has
/// passed or the caller resets it, so queued and new messages fail at once instead of each costing a login
/// attempt (a wrong password with thousands of messages queued would otherwise lock the account). Transient
/// failures leave it closed; they back off per worker through <see cref="ReconnectDelay"/>.
/// </summary>
internal sealed class ConnectionBreaker(TimeSpan coolDown)
{
    private readonly Lock _lock = new();
    private SmtpException? _cause;
    private long _openUntil;

    /// <summary>The failure that opened the breaker, or null while it is closed (a passed cool-down closes it).</summary>
    public SmtpException? Cause
    {
        get
        {
            lock (_lock)
            {
                if (_cause is not null && Stopwatch.GetTimestamp() >= _openUntil)
                {
                    _cause = null;
                }

                return _cause;
            }
        }
    }

    /// <summary>Opens the breaker on a permanent connection failure, for the cool-down from now.</summary>
    public void Trip(SmtpException cause)
    {
        lock (_lock)
        {
            _cause = cause;
            _openUntil = Stopwatch.GetTimestamp() + (long)(coolDown.TotalSeconds * Stopwatch.Frequency);
        }
    }

    /// <summary>Closes the breaker: the next message connects again.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _cause = null;
        }
    }

    /// <summary>The exception a message gets while the breaker is open: permanent, naming the cause.</summary>
    public SmtpException Refusal(SmtpException cause) => new(
        SmtpPhase.Connect,
        $"No connection was attempted: an earlier one failed for good ({cause.Message}). The sender tries again after {coolDown} or once ResetBreaker() is called.",
        isTransient: false,
        cause);

    /// <summary>
    /// How long a worker waits before connecting again after <paramref name="failures"/> transient failures in a
    /// row: <paramref name="first"/> doubled each time up to <paramref name="max"/>, plus up to half of that again
    /// at random (<paramref name="random"/> in [0, 1)), so that workers and senders do not reconnect in step. Never
    /// less than <paramref name="first"/>.
    /// </summary>
    public static TimeSpan ReconnectDelay(int failures, TimeSpan first, TimeSpan max, double random)
    {
        if (failures <= 0)
        {
            return TimeSpan.Zero;
        }

        double doubled = first.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 30));
        double capped = Math.Min(doubled, max.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (1 + (random * 0.5)));
    }
}
