namespace SmtpCodec.Sink;

/// <summary>How the sink lays out its EHLO reply; either way it lists only what it offers and implements.</summary>
public enum SmtpSinkProfile
{
    /// <summary>Keywords and AUTH mechanisms in the spec tables' order, HELP last when offered.</summary>
    Default,

    /// <summary>
    /// The order of the iCloud server in the seed article: PIPELINING, SIZE, (STARTTLS before TLS) AUTH
    /// with LOGIN PLAIN XOAUTH2 first, ENHANCEDSTATUSCODES, 8BITMIME, DSN, SMTPUTF8; anything else
    /// offered follows in table order. See <see cref="SmtpSinkOptions.Article"/>.
    /// </summary>
    Article,
}
