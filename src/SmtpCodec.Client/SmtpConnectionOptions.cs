using System.Net;
using SmtpCodec.Replies;

namespace SmtpCodec.Client;

/// <summary>Everything a connection needs to know before it opens.</summary>
public sealed class SmtpConnectionOptions
{
    /// <summary>The name sent with EHLO; by default the machine's FQDN, else an address literal of the local endpoint.</summary>
    public string? EhloName { get; set; }

    /// <summary>The local address to bind before connecting, if any.</summary>
    public IPEndPoint? LocalEndPoint { get; set; }

    /// <summary>How TLS is obtained; by default implicit TLS on port 465 and STARTTLS required on any other (<see cref="SmtpTlsMode.ByPort"/>).</summary>
    public SmtpTlsMode TlsMode { get; set; } = SmtpTlsMode.ByPort;

    /// <summary>TLS settings.</summary>
    public SmtpTlsOptions Tls { get; set; } = new();

    /// <summary>Credentials for AUTH; none (and no <see cref="CredentialsProvider"/>) skips AUTH.</summary>
    public SmtpCredentials? Credentials { get; set; }

    /// <summary>
    /// Asked for credentials on every connection, instead of fixed <see cref="Credentials"/> (OAuth access tokens
    /// expire). When the server refuses what it gave (535), it is asked once more with
    /// <see cref="SmtpCredentialsRequest.IsRefresh"/> true, and AUTH is tried again on the same connection.
    /// </summary>
    public Func<SmtpCredentialsRequest, CancellationToken, ValueTask<SmtpCredentials>>? CredentialsProvider { get; set; }

    /// <summary>
    /// Allow AUTH over a connection without TLS (never by default): every mechanism then exposes the credentials,
    /// PLAIN, LOGIN, XOAUTH2 and OAUTHBEARER the secret itself, CRAM-MD5 and SCRAM-SHA-256 an exchange open to
    /// offline guessing. For a loopback test server, not for the Internet.
    /// </summary>
    public bool AllowAuthenticationWithoutTls { get; set; }

    /// <summary>
    /// Send a mechanism's initial response with the AUTH command (RFC 4954 section 4); when false it goes
    /// after the server's empty 334, as in the seed article's session.
    /// </summary>
    public bool SendInitialResponseWithAuth { get; set; } = true;

    /// <summary>Use PIPELINING when the server offers it (RFC 2920).</summary>
    public bool UsePipelining { get; set; } = true;

    /// <summary>
    /// Send content with BDAT when the server offers CHUNKING (RFC 3030); DATA otherwise. BDAT is used
    /// anyway for BODY=BINARYMIME, which needs it.
    /// </summary>
    public bool UseChunking { get; set; }

    /// <summary>Timeouts per phase.</summary>
    public SmtpTimeouts Timeouts { get; set; } = new();

    /// <summary>Limits of the reply reader.</summary>
    public SmtpReplyReaderOptions ReplyReader { get; set; } = SmtpReplyReaderOptions.Default;

    /// <summary>Receives every line of the session as it is sent or read.</summary>
    public Action<SmtpTranscriptLine>? Transcript { get; set; }

    /// <summary>Show AUTH responses in the transcript (they carry secrets: redacted by default).</summary>
    public bool ShowSecretsInTranscript { get; set; }

    /// <summary>
    /// Note the lines of each message's DATA content in the transcript (off by default: message bodies are
    /// private and large). Without it the transcript shows one note where the content went, then the terminator.
    /// </summary>
    public bool TranscriptIncludesContent { get; set; }

    /// <summary>Adds this object's problems to <paramref name="problems"/>, each key prefixed with <paramref name="prefix"/>.</summary>
    internal void Validate(List<string> problems, string prefix)
    {
        if (!Enum.IsDefined(TlsMode))
        {
            problems.Add($"{prefix}{nameof(TlsMode)}: {TlsMode} is not a TLS mode ({string.Join(", ", Enum.GetNames<SmtpTlsMode>())}).");
        }

        if (Credentials is not null && CredentialsProvider is not null)
        {
            problems.Add($"{prefix}{nameof(Credentials)}: set {nameof(Credentials)} or {nameof(CredentialsProvider)}, not both.");
        }

        if (Tls is null)
        {
            problems.Add($"{prefix}{nameof(Tls)}: the TLS options are required.");
        }

        if (Timeouts is null)
        {
            problems.Add($"{prefix}{nameof(Timeouts)}: the timeouts are required.");
        }
        else
        {
            Timeouts.Validate(problems, prefix + nameof(Timeouts) + ":");
        }
    }
}
