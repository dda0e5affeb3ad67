namespace SmtpCodec.Client;

/// <summary>Settings of an <see cref="SmtpSender"/> pool.</summary>
public sealed record SmtpSenderOptions
{
    /// <summary>The server's host name or address (unless <see cref="ConnectAsync"/> opens the connections).</summary>
    public string Host { get; set; } = "";

    /// <summary>The server's port (unless <see cref="ConnectAsync"/> opens the connections).</summary>
    public int Port { get; set; }

    /// <summary>
    /// Opens each connection instead of TCP to <see cref="Host"/>:<see cref="Port"/>: an in-memory peer, a
    /// proxy, a socket set up by the caller (typically through <see cref="SmtpConnection.OpenAsync(Stream, string, SmtpConnectionOptions?, CancellationToken)"/>
    /// with <see cref="Connection"/>). Null connects over TCP.
    /// </summary>
    public Func<CancellationToken, Task<SmtpConnection>>? ConnectAsync { get; set; }

    /// <summary>
    /// Told of every failure to open one of the pool's connections (on the opening worker's thread; it must be quick
    /// and must not throw): a log line, an alert. Transient failures are retried with backoff; a permanent one opens
    /// the breaker.
    /// </summary>
    public Action<SmtpConnectionFailure>? ConnectionFailed { get; set; }

    /// <summary>
    /// With CHUNKING and PIPELINING (and <see cref="SmtpConnectionOptions.UseChunking"/>), how many whole
    /// messages a connection sends ahead of their replies (RFC 3030 with RFC 2920). With DATA the window is
    /// one message: its content goes out with the next message's commands, as the 354 allows no more.
    /// </summary>
    public int ChunkingWindow { get; set; } = 32;

    /// <summary>How each connection is opened (TLS, AUTH, EHLO name, timeouts).</summary>
    public SmtpConnectionOptions Connection { get; set; } = new();

    /// <summary>How many connections send in parallel.</summary>
    public int Connections { get; set; } = 4;

    /// <summary>How many submitted messages may wait for a connection; further submissions wait (back-pressure).</summary>
    public int QueueCapacity { get; set; } = 1024;

    /// <summary>Messages a connection sends before it says QUIT and a new one opens; 0 for no limit.</summary>
    public int MaxMessagesPerConnection { get; set; }

    /// <summary>How long a connection lives before it is replaced; zero for no limit.</summary>
    public TimeSpan MaxConnectionAge { get; set; }

    /// <summary>An idle connection sends NOOP this often to stay open; zero never.</summary>
    public TimeSpan IdleNoopInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most messages started per second over the whole pool; 0 for no limit.</summary>
    public double MaxMessagesPerSecond { get; set; }

    /// <summary>Attempts per message when failures are temporary (4xx, network) and retrying is safe.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>The wait before a retry, and the first wait before reconnecting after a failed connection.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait before reconnecting: after transient connection failures in a row the wait doubles from <see cref="RetryDelay"/> up to this (or to <see cref="RetryDelay"/> when that is longer), plus up to half again at random.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// After a permanent failure to open a connection (AUTH refused, TLS refused or untrusted, a 5xx greeting), how
    /// long the pool attempts no connection: queued and new messages fail at once with that reason, until this has
    /// passed or <see cref="SmtpSender.ResetBreaker"/> is called.
    /// </summary>
    public TimeSpan BreakerCoolDown { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Checks every setting (this object's, <see cref="Connection"/>'s, its TLS settings and timeouts). Each problem
    /// names its setting by its configuration key (<c>Port</c>, <c>Connection:TlsMode</c>,
    /// <c>Connection:Timeouts:Greeting</c>), so the same message serves a library user and a configuration file.
    /// </summary>
    /// <returns>The problems, each "Key: what is wrong"; empty when the options are usable.</returns>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (ConnectAsync is null)
        {
            if (string.IsNullOrWhiteSpace(Host))
            {
                problems.Add($"{nameof(Host)}: the server's host name or address is required (or set {nameof(ConnectAsync)}).");
            }

            if (Port is < 1 or > 65535)
            {
                problems.Add($"{nameof(Port)}: {Port} is not a port (1 to 65535).");
            }
        }

        AtLeast(problems, nameof(ChunkingWindow), ChunkingWindow, 1);
        AtLeast(problems, nameof(Connections), Connections, 1);
        AtLeast(problems, nameof(QueueCapacity), QueueCapacity, 1);
        AtLeast(problems, nameof(MaxMessagesPerConnection), MaxMessagesPerConnection, 0);
        AtLeast(problems, nameof(MaxAttempts), MaxAttempts, 1);
        if (!(MaxMessagesPerSecond >= 0) || double.IsInfinity(MaxMessagesPerSecond))
        {
            problems.Add($"{nameof(MaxMessagesPerSecond)}: {MaxMessagesPerSecond} is not a rate (0 for no limit, or a positive number).");
        }

        NotNegative(problems, nameof(MaxConnectionAge), MaxConnectionAge);
        NotNegative(problems, nameof(IdleNoopInterval), IdleNoopInterval);
        NotNegative(problems, nameof(RetryDelay), RetryDelay);
        NotNegative(problems, nameof(MaxReconnectDelay), MaxReconnectDelay);
        NotNegative(problems, nameof(BreakerCoolDown), BreakerCoolDown);
        if (Connection is null)
        {
            problems.Add($"{nameof(Connection)}: the connection options are required.");
        }
        else
        {
            Connection.Validate(problems, nameof(Connection) + ":");
        }

        return problems;
    }

    /// <summary>Throws when <see cref="Validate"/> finds a problem: one exception naming every one.</summary>
    internal void ThrowIfInvalid()
    {
        IReadOnlyList<string> problems = Validate();
        if (problems.Count > 0)
        {
            string first = problems[0];
            throw new ArgumentException($"The sender's options are invalid: {string.Join(" ", problems)}", first[..first.IndexOf(": ", StringComparison.Ordinal)]);
        }
    }

    private static void AtLeast(List<string> problems, string key, int value, int minimum)
    {
        if (value < minimum)
        {
            problems.Add($"{key}: {value} is less than {minimum}.");
        }
    }

    private static void NotNegative(List<string> problems, string key, TimeSpan value)
    {
        if (value < TimeSpan.Zero)
        {
            problems.Add($"{key}: {value} is negative.");
        }
    }
}
