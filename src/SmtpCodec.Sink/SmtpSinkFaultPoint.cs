namespace SmtpCodec.Sink;

/// <summary>
/// Where an injected fault strikes: a command's reply, or the reply to the end of a message. Command
/// values equal those of <see cref="SmtpCodec.Protocol.SmtpCommand"/>.
/// </summary>
public enum SmtpSinkFaultPoint
{
    /// <summary>Every command and every end of data (<c>*</c> on the command line); a fault named for the point itself takes precedence.</summary>
    Any = 0,

    /// <summary>EHLO.</summary>
    Ehlo = 1,

    /// <summary>HELO.</summary>
    Helo = 2,

    /// <summary>MAIL.</summary>
    Mail = 3,

    /// <summary>RCPT.</summary>
    Rcpt = 4,

    /// <summary>DATA (its 354; the end of the data is <see cref="EndOfData"/>).</summary>
    Data = 5,

    /// <summary>RSET.</summary>
    Rset = 6,

    /// <summary>VRFY.</summary>
    Vrfy = 7,

    /// <summary>EXPN.</summary>
    Expn = 8,

    /// <summary>HELP.</summary>
    Help = 9,

    /// <summary>NOOP.</summary>
    Noop = 10,

    /// <summary>QUIT.</summary>
    Quit = 11,

    /// <summary>STARTTLS.</summary>
    StartTls = 12,

    /// <summary>AUTH (the command; not the lines answering its 334 challenges).</summary>
    Auth = 13,

    /// <summary>A BDAT chunk that is not the last (the last one is <see cref="EndOfData"/>); its reply comes once the chunk is read.</summary>
    Bdat = 14,

    /// <summary>The end of a message (<c>EOD</c>): the terminator of DATA, or BDAT LAST. A message faulted here is not received.</summary>
    EndOfData = 100,
}
