namespace SmtpCodec.Protocol;

/// <summary>Where a command may stand in a pipelined group of commands (RFC 2920 section 3.1).</summary>
public enum PipeliningRule
{
    /// <summary>The command may appear anywhere in a group (MAIL, RCPT, RSET, BDAT).</summary>
    Anywhere = 0,

    /// <summary>The command changes state the client must see first: it ends the group (EHLO, DATA, QUIT ...).</summary>
    Last = 1,

    /// <summary>
    /// The command ends the group, except when it carries an initial response of a mechanism that
    /// completes in one round trip without a security layer, such as PLAIN (RFC 4954 section 4).
    /// </summary>
    LastUnlessOneRoundTrip = 2,
}
