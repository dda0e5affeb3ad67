using System.Net;
using System.Security.Cryptography.X509Certificates;
using SmtpCodec.Protocol;

namespace SmtpCodec.Sink;

/// <summary>How an <see cref="SmtpSink"/> listens and what it offers.</summary>
public sealed record SmtpSinkOptions
{
    /// <summary>RFC 4954 section 4: a line answering a 334 challenge may reach 12288 octets.</summary>
    internal const int MaxSaslLineLength = 12288;

    /// <summary>Where to listen; loopback with a free port by default.</summary>
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 0);

    /// <summary>The name in the greeting and the first EHLO line.</summary>
    public string ServerName { get; init; } = "sink.localhost";

    /// <summary>
    /// The extensions advertised; only those the sink implements may be listed (PIPELINING, SIZE,
    /// 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES, CHUNKING, DSN, STARTTLS, AUTH, LIMITS with RCPTMAX, HELP).
    /// With STARTTLS, AUTH is offered only once TLS is up, as submission servers do.
    /// </summary>
    public EhloExtensions Extensions { get; init; } =
        EhloExtensions.Pipelining | EhloExtensions.Size | EhloExtensions.EightBitMime | EhloExtensions.SmtpUtf8
        | EhloExtensions.EnhancedStatusCodes | EhloExtensions.Chunking | EhloExtensions.Dsn | EhloExtensions.Help;

    /// <summary>The order of the EHLO reply: the tables' (with HELP last) or the seed article's.</summary>
    public SmtpSinkProfile Profile { get; init; }

    /// <summary>
    /// The seed article's iCloud server as far as the sink implements it: PIPELINING, SIZE 28319744,
    /// STARTTLS, AUTH LOGIN PLAIN XOAUTH2, ENHANCEDSTATUSCODES, 8BITMIME, DSN, SMTPUTF8, in that order.
    /// The article's ETRN and its proprietary ATOKEN, ATOKEN2, WSTOKEN and WETOKEN mechanisms are left out:
    /// the sink advertises only what it implements. A new instance each time; change it with <c>with</c>.
    /// </summary>
    public static SmtpSinkOptions Article => new()
    {
        Profile = SmtpSinkProfile.Article,
        MaxMessageSize = 28319744,
        Extensions = EhloExtensions.Pipelining | EhloExtensions.Size | EhloExtensions.StartTls | EhloExtensions.Auth
            | EhloExtensions.EnhancedStatusCodes | EhloExtensions.EightBitMime | EhloExtensions.Dsn | EhloExtensions.SmtpUtf8,
        AuthMechanisms = SaslMechanismFlags.Login | SaslMechanismFlags.Plain | SaslMechanismFlags.XOAuth2,
    };

    /// <summary>
    /// The certificate for STARTTLS (with its private key); when null and STARTTLS is advertised, a
    /// self-signed one is made in memory at start. <see cref="SmtpSink.LoadCertificateFromPem"/> reads PEM files.
    /// </summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>
    /// Users AUTH accepts: user name to secret, the password for PLAIN, LOGIN, CRAM-MD5 and SCRAM-SHA-256
    /// and the access token for XOAUTH2 and OAUTHBEARER.
    /// </summary>
    public IReadOnlyDictionary<string, string> Users { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Whether MAIL needs a successful AUTH first, as on a submission server: before it, MAIL gets
    /// <c>530 5.7.0 Authentication required</c> (RFC 4954 section 6). Needs <see cref="EhloExtensions.Auth"/> and
    /// <see cref="Users"/>. False by default: any client may send.
    /// </summary>
    public bool RequireAuthentication { get; init; }

    /// <summary>
    /// The SASL mechanisms offered when AUTH is advertised; all of PLAIN, LOGIN, XOAUTH2, OAUTHBEARER,
    /// CRAM-MD5 and SCRAM-SHA-256 are implemented.
    /// </summary>
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

    /// <summary>
    /// How long the sink waits for each command line (RFC 5321 section 4.5.3.2.7; 5 minutes by default), and for
    /// each 64 KiB of message content. A deadline, not an idle timer: bytes that complete no command do not move
    /// it. Past it the sink replies <c>421 4.4.2</c> and closes the connection.
    /// </summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a TLS handshake after STARTTLS may take (30 seconds by default); then the connection closes. A
    /// failed or timed-out handshake is the client's doing, not a session fault.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long each 535 waits before it leaves (the session reads nothing meanwhile); zero only for the fuzz target.</summary>
    internal TimeSpan AuthFailureDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Most connections served at once; more are greeted with 421 and closed.</summary>
    public int MaxConnections { get; init; } = 256;

    /// <summary>
    /// Most recipients in one message; further RCPTs get 452 4.5.3 (RFC 5321 section 4.5.3.1.10, which asks
    /// servers to take at least 100). Advertised as LIMITS RCPTMAX when LIMITS is offered (RFC 9422).
    /// </summary>
    public int MaxRecipients { get; init; } = 1000;

    /// <summary>
    /// Faults to inject (see <see cref="SmtpSinkFault"/>); none by default. Per point and kind, a fault named
    /// for the point takes precedence over one for <see cref="SmtpSinkFaultPoint.Any"/>; the reply faults
    /// of one point may add up to 1 at most.
    /// </summary>
    public IReadOnlyList<SmtpSinkFault> Faults { get; init; } = [];

    /// <summary>
    /// Makes the faults deterministic: each connection draws from its own generator seeded with this and its
    /// number (the first accepted connection is 1), so a run with one connection at a time repeats exactly.
    /// Null: a random seed per connection.
    /// </summary>
    public int? FaultSeed { get; init; }

    /// <summary>
    /// A directory where each received message is written as it streams in, unstuffed, and kept as
    /// <c>QUEUEID.eml</c> (the id of its <c>250 ... queued as QUEUEID</c> reply) once accepted; refused and
    /// faulted messages leave no file. <c>QUEUEID.envelope</c> beside it holds the transaction's MAIL line and
    /// accepted RCPT lines as received (CRLF-ended), so a test can see who got the message (a Bcc recipient, say).
    /// Created when missing; numbering continues after the files it holds.
    /// Null (the default): nothing is stored.
    /// </summary>
    public string? StoreDirectory { get; init; }

    internal static EhloExtensions Implemented =>
        EhloExtensions.Pipelining | EhloExtensions.Size | EhloExtensions.EightBitMime | EhloExtensions.SmtpUtf8
        | EhloExtensions.EnhancedStatusCodes | EhloExtensions.Chunking | EhloExtensions.Dsn
        | EhloExtensions.StartTls | EhloExtensions.Auth | EhloExtensions.Limits | EhloExtensions.Help;

    internal static SaslMechanismFlags ImplementedMechanisms =>
        SaslMechanismFlags.Plain | SaslMechanismFlags.Login | SaslMechanismFlags.XOAuth2 | SaslMechanismFlags.OAuthBearer
        | SaslMechanismFlags.CramMd5 | SaslMechanismFlags.ScramSha256;

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

        if ((Extensions & EhloExtensions.Auth) != 0 && AuthMechanisms == 0)
        {
            throw new ArgumentException("AUTH is advertised with no SASL mechanism.", nameof(AuthMechanisms));
        }

        if (!Enum.IsDefined(Profile))
        {
            throw new ArgumentOutOfRangeException(nameof(Profile), Profile, "Unknown sink profile.");
        }

        ArgumentNullException.ThrowIfNull(Users);
        if (RequireAuthentication && ((Extensions & EhloExtensions.Auth) == 0 || Users.Count == 0))
        {
            throw new ArgumentException("RequireAuthentication needs the AUTH extension and at least one user.", nameof(RequireAuthentication));
        }
        ArgumentNullException.ThrowIfNull(Faults);
        ArgumentOutOfRangeException.ThrowIfLessThan(ReplyDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCommandLength, 512);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxConnections);
        ThrowIfNotATimeout(CommandTimeout, nameof(CommandTimeout));
        ThrowIfNotATimeout(HandshakeTimeout, nameof(HandshakeTimeout));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxMessageSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxRecipients);
        if (StoreDirectory is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(StoreDirectory, nameof(StoreDirectory));
        }
    }

    private static void ThrowIfNotATimeout(TimeSpan timeout, string name)
    {
        // A timer takes up to 2^32 - 2 ms.
        if (timeout <= TimeSpan.Zero || timeout.TotalMilliseconds > uint.MaxValue - 1)
        {
            throw new ArgumentOutOfRangeException(name, timeout, "A timeout must be positive and at most 49 days.");
        }
    }
}
