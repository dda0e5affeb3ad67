using System.Text;
using MimeKit;
using SmtpCodec.Client;
using SmtpCodec.Protocol;

namespace SmtpCodec.MimeKit;

/// <summary>
/// One message made ready for one server, as MailKit's SmtpClient does it: the envelope (from the headers unless
/// given), the format options it is written with, the message prepared for the extensions offered, then signed.
/// </summary>
internal static class MimeSubmission
{
    /// <summary>The longest line MimeKit may leave in a prepared message (RFC 5321 section 4.5.3.1.6, CRLF excluded).</summary>
    private const int MaxLineLength = 998;

    /// <summary>The reverse path: Resent-Sender, else the first Resent-From mailbox, else Sender, else the first From mailbox.</summary>
    public static MailboxAddress? SenderOf(MimeMessage message)
    {
        if (message.ResentSender is { } resentSender)
        {
            return resentSender;
        }

        if (message.ResentFrom.Count > 0)
        {
            return message.ResentFrom.Mailboxes.FirstOrDefault();
        }

        return message.Sender ?? message.From.Mailboxes.FirstOrDefault();
    }

    /// <summary>
    /// The forward paths: To, Cc and Bcc, or Resent-To, Resent-Cc and Resent-Bcc when the message is being resent
    /// (it has Resent-Sender or Resent-From); groups flattened, each address once (compared without regard to case).
    /// </summary>
    public static List<MailboxAddress> RecipientsOf(MimeMessage message)
    {
        bool resent = message.ResentSender is not null || message.ResentFrom.Count > 0;
        return Unique(resent
            ? message.ResentTo.Mailboxes.Concat(message.ResentCc.Mailboxes).Concat(message.ResentBcc.Mailboxes)
            : message.To.Mailboxes.Concat(message.Cc.Mailboxes).Concat(message.Bcc.Mailboxes));
    }

    public static List<MailboxAddress> Unique(IEnumerable<MailboxAddress> mailboxes)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var unique = new List<MailboxAddress>();
        foreach (MailboxAddress mailbox in mailboxes)
        {
            if (seen.Add(mailbox.Address))
            {
                unique.Add(mailbox);
            }
        }

        return unique;
    }

    /// <summary>
    /// Prepares <paramref name="message"/> for a server offering <paramref name="server"/> (null when unknown) and
    /// returns the envelope and the format options to write it with. The message changes: its parts are re-encoded
    /// where the server needs it (unless it is already signed), and the signing hook may add headers.
    /// </summary>
    /// <exception cref="InvalidOperationException">The message has no sender or no recipient.</exception>
    /// <exception cref="SmtpException">The message needs SMTPUTF8 (or 8BITMIME for UTF-8 headers) and the server lacks it.</exception>
    public static (SmtpEnvelope Envelope, FormatOptions Format) Prepare(
        MimeMessage message, MailboxAddress? sender, IReadOnlyList<MailboxAddress>? recipients, EhloExtensions? server, SmtpMimeOptions? options)
    {
        // Unknown (the pool could not connect yet): prepared for a server offering nothing, valid anywhere; whether
        // an address needs SMTPUTF8 is then left to the connection that sends it.
        EhloExtensions offered = server ?? EhloExtensions.None;
        sender ??= SenderOf(message) ?? throw new InvalidOperationException("The message has no sender: set its From (or Sender) header, or pass the sender.");
        recipients ??= RecipientsOf(message);
        if (recipients.Count == 0)
        {
            throw new InvalidOperationException("The message has no recipient: set its To, Cc or Bcc header, or pass the recipients.");
        }

        bool utf8 = (offered & EhloExtensions.SmtpUtf8) != 0;
        bool eightBit = (offered & EhloExtensions.EightBitMime) != 0;
        bool binary = (offered & (EhloExtensions.BinaryMime | EhloExtensions.Chunking)) == (EhloExtensions.BinaryMime | EhloExtensions.Chunking);

        FormatOptions format = (options?.Format ?? FormatOptions.Default).Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        format.EnsureNewLine = true;
        format.HiddenHeaders.Add(HeaderId.Bcc);
        format.HiddenHeaders.Add(HeaderId.ResentBcc);
        format.HiddenHeaders.Add(HeaderId.ContentLength);

        // Raw UTF-8 headers only where SMTPUTF8 is offered; elsewhere MimeKit encodes them (RFC 2047), as MailKit does.
        format.International &= utf8;
        if (format.International && !eightBit)
        {
            throw new SmtpException(SmtpPhase.Mail, "UTF-8 headers (FormatOptions.International) need the server to offer 8BITMIME with SMTPUTF8, and it offers no 8BITMIME.", isTransient: false);
        }

        // A non-ASCII local part cannot be written without SMTPUTF8 (a domain can, as A-labels): in the envelope it
        // would be refused, in a header MimeKit writes it as raw UTF-8 (RFC 6531 section 3.2 needs SMTPUTF8 for that).
        MailboxAddress? utf8Address = FirstWithNonAsciiLocalPart(message, sender, recipients);
        if (utf8Address is not null && !utf8 && server is not null)
        {
            throw new SmtpException(SmtpPhase.Mail, $"The message needs SMTPUTF8 (the address '{utf8Address.Address}' has a non-ASCII local part) and the server does not offer it; nothing was sent.", isTransient: false);
        }

        if (IsSigned(message))
        {
            // Re-encoding a signed message would break its signatures: it goes as it is, its headers as they were signed.
            format.International = false;
        }
        else
        {
            message.Prepare(binary ? EncodingConstraint.None : eightBit ? EncodingConstraint.EightBit : EncodingConstraint.SevenBit, MaxLineLength);
        }

        options?.Sign?.Invoke(message, format);

        // UTF-8 in the headers: asked for (and offered), or an address that can be written no other way.
        bool utf8Headers = format.International || (utf8Address is not null && utf8);
        (bool hasEightBit, bool hasBinary) = Encodings(message.Body);
        BodyType body = hasBinary && binary ? BodyType.BinaryMime
            : hasEightBit && eightBit ? BodyType.EightBitMime
            : utf8Headers ? BodyType.EightBitMime
            : BodyType.None;

        // Domains become A-labels where SMTPUTF8 is not offered (MimeKit's IDN mapping, as in the headers it writes).
        var envelope = new SmtpEnvelope(sender.GetAddress(!utf8), recipients.Select(r => r.GetAddress(!utf8)))
        {
            Body = body,
            SmtpUtf8 = utf8Headers,
        };
        return (envelope, format);
    }

    private static bool IsSigned(MimeMessage message) =>
        message.Headers.Contains(HeaderId.DkimSignature) || message.Headers.Contains(HeaderId.ArcSeal) || message.Headers.Contains(HeaderId.DomainKeySignature);

    /// <summary>Whether any part is sent 8bit or binary (a message/rfc822 part's own parts included).</summary>
    private static (bool EightBit, bool Binary) Encodings(MimeEntity? entity)
    {
        switch (entity)
        {
            case Multipart multipart:
                bool eightBit = false, binary = false;
                foreach (MimeEntity child in multipart)
                {
                    (bool e, bool b) = Encodings(child);
                    eightBit |= e;
                    binary |= b;
                }

                return (eightBit, binary);
            case MessagePart { Message: { } inner }:
                return Encodings(inner.Body);
            case MimePart part:
                return (part.ContentTransferEncoding == ContentEncoding.EightBit, part.ContentTransferEncoding == ContentEncoding.Binary);
            default:
                return (false, false);
        }
    }

    /// <summary>The first address of the envelope or of an address header whose local part is not ASCII, or null.</summary>
    private static MailboxAddress? FirstWithNonAsciiLocalPart(MimeMessage message, MailboxAddress sender, IReadOnlyList<MailboxAddress> recipients)
    {
        IEnumerable<MailboxAddress> headerMailboxes = new[]
        {
            message.From, message.ReplyTo, message.To, message.Cc, message.Bcc,
            message.ResentFrom, message.ResentReplyTo, message.ResentTo, message.ResentCc, message.ResentBcc,
        }.SelectMany(list => list.Mailboxes);
        return new[] { sender, message.Sender, message.ResentSender }
            .Concat(recipients)
            .Concat(headerMailboxes)
            .FirstOrDefault(m => m is not null && !Ascii.IsValid(m.LocalPart));
    }
}
