using System.Net;
using System.Security.Cryptography.X509Certificates;
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
    /// 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES, CHUNKING, DSN, STARTTLS, AUTH). With STARTTLS, AUTH is
    /// offered only once TLS is up, as submission servers do.
    /// </summary>
    public EhloExtensions Extensions { get; init; } =
        EhloExtensions.Pipelining | EhloExtensions.Size | EhloExtensions.EightBitMime | EhloExtensions.SmtpUtf8
        | EhloExtensions.EnhancedStatusCodes | EhloExtensions.Chunking | EhloExtensions.Dsn;

    /// <summary>The certificate for STARTTLS; when null and STARTTLS is advertised, a self-signed one is made in memory at start.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>Users AUTH accepts: user name to password.</summary>
    public IReadOnlyDictionary<string, string> Users { get; init; } = new Dictionary<string, string>();

    /// <summary>The SASL mechanisms offered when AUTH is advertised (PLAIN and LOGIN are implemented).</summary>
    public SaslMechanismFlags AuthMechanisms { get; init; } = SaslMechanismFlags.Plain | SaslMechanismFlags.Login;

    /// <summary>
    /// How long each reply waits after its command arrived, as a WAN's latency would make it: replies to
    /// pipelined commands that arrived together leave together, not one delay after another. Zero by default.
    /// </summary>
    public TimeSpan ReplyDelay { get; init; }

    /// <summary>The largest message accepted (SIZE, RFC 1870); larger ones get 552.</summary>
    public long MaxMessageSize { get; init; } = 35 * 1024 * 1024;

    /// <summary>The longest command line accepted, line end included (RFC 5321 section 4.5.3.1.4 plus extension allowances).</summary>
    public int MaxCommandLength { get; init; } = 2048;

    /// <summary>Most connections served at once; more are greeted with 421 and closed.</summary>
    public int MaxConnections { get; init; } = 256;

    internal static EhloExtensions Implemented =>
        EhloExtensions.Pipelining | EhloExtensions.Size | EhloExtensions.EightBitMime | EhloExtensions.SmtpUtf8
        | EhloExtensions.EnhancedStatusCodes | EhloExtensions.Chunking | EhloExtensions.Dsn
        | EhloExtensions.StartTls | EhloExtensions.Auth;

    internal static SaslMechanismFlags ImplementedMechanisms => SaslMechanismFlags.Plain | SaslMechanismFlags.Login;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Listen);
        ArgumentException.ThrowIfNullOrEmpty(ServerName);
        if ((Extensions & ~Implemented) != 0)
        {
            throw new ArgumentException($"The sink does not implement {Extensions & ~Implemented}; it advertises only what it implements.", nameof(Extensions));
        }

        if ((AuthMechanisms & ~ImplementedMechanisms) != 0)
        {
            throw new ArgumentException($"The sink does not implement the SASL mechanisms {AuthMechanisms & ~ImplementedMechanisms}.", nameof(AuthMechanisms));
        }

        ArgumentNullException.ThrowIfNull(Users);
        ArgumentOutOfRangeException.ThrowIfLessThan(ReplyDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCommandLength, 512);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxConnections);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxMessageSize);
    }
}
