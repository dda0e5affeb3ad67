using System.Net;
using SmtpCodec.Protocol;

namespace SmtpCodec.Sink;

/// <summary>How an <see cref="SmtpSink"/> listens and what it offers.</summary>
public sealed record SmtpSinkOptions
{
    /// <summary>Where to listen; loopback with a free port by default.</summary>
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 0);

    /// <summary>The name in the greeting and the first EHLO line.</summary>
    public string ServerName { get; init; } = "sink.localhost";

    /// <summary>
    /// The extensions advertised; only those the sink implements may be listed (PIPELINING, SIZE,
    /// 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES, CHUNKING, DSN).
    /// </summary>
    public EhloExtensions Extensions { get; init; } =
        EhloExtensions.Pipelining | EhloExtensions.Size | EhloExtensions.EightBitMime | EhloExtensions.SmtpUtf8
        | EhloExtensions.EnhancedStatusCodes | EhloExtensions.Chunking | EhloExtensions.Dsn;

    /// <summary>The largest message accepted (SIZE, RFC 1870); larger ones get 552.</summary>
    public long MaxMessageSize { get; init; } = 35 * 1024 * 1024;

    /// <summary>The longest command line accepted, line end included (RFC 5321 section 4.5.3.1.4 plus extension allowances).</summary>
    public int MaxCommandLength { get; init; } = 2048;

    /// <summary>Most connections served at once; more are greeted with 421 and closed.</summary>
    public int MaxConnections { get; init; } = 256;

    internal static EhloExtensions Implemented =>
        EhloExtensions.Pipelining | EhloExtensions.Size | EhloExtensions.EightBitMime | EhloExtensions.SmtpUtf8
        | EhloExtensions.EnhancedStatusCodes | EhloExtensions.Chunking | EhloExtensions.Dsn;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Listen);
        ArgumentException.ThrowIfNullOrEmpty(ServerName);
        if ((Extensions & ~Implemented) != 0)
        {
            throw new ArgumentException($"The sink does not implement {Extensions & ~Implemented}; it advertises only what it implements.", nameof(Extensions));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCommandLength, 512);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxConnections);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxMessageSize);
    }
}
