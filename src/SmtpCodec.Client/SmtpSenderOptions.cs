namespace SmtpCodec.Client;

/// <summary>Settings of an <see cref="SmtpSender"/> pool.</summary>
public sealed record SmtpSenderOptions
{
    /// <summary>The server's host name or address.</summary>
    public required string Host { get; init; }

    /// <summary>The server's port.</summary>
    public required int Port { get; init; }

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

    /// <summary>The wait before a retry (and before reconnecting after a failed connection).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(Host);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Port);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Connections);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(QueueCapacity);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxMessagesPerConnection);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxAttempts);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxMessagesPerSecond);
    }
}
