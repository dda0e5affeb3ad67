namespace SmtpCodec.Client;

/// <summary>How a connection gets TLS.</summary>
public enum SmtpTlsMode
{
    /// <summary>Never: the whole session is cleartext.</summary>
    None = 0,

    /// <summary>STARTTLS when the server offers it (RFC 3207); cleartext otherwise.</summary>
    StartTlsIfAvailable = 1,

    /// <summary>STARTTLS, and fail before AUTH or MAIL when the server does not offer it or refuses it.</summary>
    StartTlsRequired = 2,

    /// <summary>TLS from the first byte (submissions port 465, RFC 8314).</summary>
    Implicit = 3,

    /// <summary>
    /// The default: <see cref="Implicit"/> on port 465 (RFC 8314 section 3.3), <see cref="StartTlsRequired"/> on any
    /// other port or over a stream opened by the caller. Never cleartext.
    /// </summary>
    ByPort = 4,
}
