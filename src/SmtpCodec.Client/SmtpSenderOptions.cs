namespace SmtpCodec.Client;

/// <summary>Settings of an <see cref="SmtpSender"/> pool.</summary>
public sealed record SmtpSenderOptions
{
    /// <summary>The server's host name or address (unless <see cref="ConnectAsync"/> opens the connections).</summary>
    public string Host { get; init; } = "";

    /// <summary>The server's port (unless <see cref="ConnectAsync"/> opens the connections).</summary>
    public int Port { get; init; }

    /// <summary>
    /// Opens each connection instead of TCP to <see cref="Host"/>:<see cref="Port"/>: an in-memory peer, a
    /// proxy, a socket set up by the caller (typically through <see cref="SmtpConnection.OpenAsync(Stream, string, SmtpConnectionOptions?, CancellationToken)"/>
    /// with <see cref="Connection"/>). Null connects over TCP.
    /// </summary>
    public Func<CancellationToken, Task<SmtpConnection>>? ConnectAsync { get; init; }

    /// <summary>
    /// With CHUNKING and PIPELINING (and <see cref="SmtpConnectionOptions.UseChunking"/>), how many whole
    /// messages a connection sends ahead of their replies (RFC 3030 with RFC 2920). With DATA the window is
    /// one message: its content goes out with the next message's commands, as the 354 allows no more.
    /// </summary>
    public int ChunkingWindow { get; init; } = 32;

    /// <summary>How each connection is opened (TLS, AUTH, EHLO name, timeouts).</summary>
    public SmtpConnectionOptions Connection { get; init; } = new();

    /// <summary>How many connections send in parallel.</summary>
    public int Connections { get; init; } = 4;

    /// <summary>How many submitted messages may wait for a connection; further submissions wait (back-pressure).</summary>
    public int QueueCapacity { get; init; } = 1024;

    /// <summary>Messages a connection sends before it says QUIT and a new one opens; 0 for no limit.</summary>
    public int MaxMessagesPerConnection { get; init; }

    /// <summary>How long a connection lives before it is replaced; zero for no limit.</summary>
    public TimeSpan MaxConnectionAge { get; init; }

    /// <summary>An idle connection sends NOOP this often to stay open; zero never.</summary>
    public TimeSpan IdleNoopInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Most messages started per second over the whole pool; 0 for no limit.</summary>
    public double MaxMessagesPerSecond { get; init; }

    /// <summary>Attempts per message when failures are temporary (4xx, network) and retrying is safe.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>The wait before a retry, and the first wait before reconnecting after a failed connection.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait before reconnecting: after transient connection failures in a row the wait doubles from <see cref="RetryDelay"/> up to this (or to <see cref="RetryDelay"/> when that is longer), plus up to half again at random.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// After a permanent failure to open a connection (AUTH refused, TLS refused or untrusted, a 5xx greeting), how
    /// long the pool attempts no connection: queued and new messages fail at once with that reason, until this has
    /// passed or <see cref="SmtpSender.ResetBreaker"/> is called.
    /// </summary>
    public TimeSpan BreakerCoolDown { get; init; } = TimeSpan.FromMinutes(5);

    internal void Validate()
    {
        if (ConnectAsync is null)
        {
            ArgumentException.ThrowIfNullOrEmpty(Host);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Port);
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ChunkingWindow);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Connections);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(QueueCapacity);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxMessagesPerConnection);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxAttempts);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxMessagesPerSecond);
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxReconnectDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(BreakerCoolDown, TimeSpan.Zero);
    }
}
