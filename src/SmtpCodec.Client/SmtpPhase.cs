namespace SmtpCodec.Client;

/// <summary>The step of an SMTP session at which something happened (docs/architecture.md, "Connection layer").</summary>
public enum SmtpPhase
{
    /// <summary>Opening the TCP connection or the implicit TLS handshake.</summary>
    Connect = 0,

    /// <summary>Waiting for the server's 220 greeting.</summary>
    Greeting = 1,

    /// <summary>EHLO, or the HELO fallback.</summary>
    Ehlo = 2,

    /// <summary>STARTTLS and the TLS handshake that follows it.</summary>
    StartTls = 3,

    /// <summary>The AUTH exchange.</summary>
    Auth = 4,

    /// <summary>MAIL FROM.</summary>
    Mail = 5,

    /// <summary>RCPT TO.</summary>
    Rcpt = 6,

    /// <summary>DATA, up to its 354 (or a BDAT chunk).</summary>
    Data = 7,

    /// <summary>Sending the message content.</summary>
    DataBlock = 8,

    /// <summary>Waiting for the reply to the end of data (the terminator or BDAT LAST).</summary>
    EndOfData = 9,

    /// <summary>RSET, NOOP or QUIT.</summary>
    Other = 10,
}
