using MimeKit;

namespace SmtpCodec.MimeKit;

/// <summary>How a <see cref="MimeMessage"/> is written and signed when it is sent.</summary>
public sealed class SmtpMimeOptions
{
    /// <summary>
    /// The format options to start from (MimeKit's <see cref="FormatOptions.Default"/> when null). They are cloned for
    /// each message and never changed: the clone writes CRLF line breaks, ends with a line break, hides Bcc,
    /// Resent-Bcc and Content-Length, and keeps <see cref="FormatOptions.International"/> (raw UTF-8 headers) only
    /// where the server offers SMTPUTF8.
    /// </summary>
    public FormatOptions? Format { get; set; }

    /// <summary>
    /// Called once the message is prepared for the server and before it is written, with the very format options it
    /// is written with, so that a signer (MimeKit's <c>DkimSigner.Sign(options, message, headers)</c> or
    /// <c>ArcSigner</c>) signs exactly the bytes that are sent. It may add headers to the message (a signature); the
    /// message is written once it returns. A message that already carries a DKIM-Signature, ARC-Seal or
    /// DomainKey-Signature is not re-encoded (that would break the signature), as MailKit does; a message sent again
    /// is signed again (a further signature header). Null: nothing is signed.
    /// </summary>
    public Action<MimeMessage, FormatOptions>? Sign { get; set; }
}
