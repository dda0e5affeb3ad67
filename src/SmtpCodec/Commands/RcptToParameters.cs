using System;
using SmtpCodec.Protocol;

namespace SmtpCodec.Commands;

/// <summary>The ESMTP parameters of a RCPT command and the transaction facts it depends on; a default value sends none.</summary>
public readonly ref struct RcptToParameters
{
    /// <summary>Whether the transaction's MAIL carried SMTPUTF8: allows UTF-8 in the forward path (RFC 6531 section 3.4).</summary>
    public bool SmtpUtf8 { get; init; }

    /// <summary>NOTIFY (RFC 3461 section 4.1): NEVER alone, or any of SUCCESS, FAILURE, DELAY; None for none.</summary>
    public DsnNotifyFlags Notify { get; init; }

    /// <summary>ORCPT (RFC 3461 section 4.2): the original recipient, an ASCII mailbox written as <c>rfc822;</c> xtext; empty for none.</summary>
    public ReadOnlySpan<char> OriginalRecipient { get; init; }
}
