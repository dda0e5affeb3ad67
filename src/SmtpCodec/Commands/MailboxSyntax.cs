using System;

namespace SmtpCodec.Commands;

/// <summary>Checks mailboxes, atoms and quoted strings of RFC 5321 section 4.1.2 (and RFC 6531 section 3.3 with SMTPUTF8) on encoded bytes.</summary>
internal static class MailboxSyntax
{
    private const int MaxLocalPartLength = 64;

    // A path is at most 256 octets with its angle brackets (RFC 5321 section 4.5.3.1.3).
    private const int MaxMailboxLength = 254;

    /// <summary>Mailbox = Local-part "@" ( Domain / address-literal ).</summary>
    public static bool IsMailbox(ReadOnlySpan<byte> mailbox, bool allowUtf8)
    {
        if (mailbox.IsEmpty || mailbox.Length > MaxMailboxLength)
        {
            return false;
        }

        int at;
        if (mailbox[0] == '"')
        {
            int end = QuotedStringLength(mailbox, allowUtf8);
            if (end < 0)
            {
                return false;
            }

            at = end;
        }
        else
        {
            at = mailbox.IndexOf((byte)'@');
            if (at <= 0 || !IsDotString(mailbox[..at], allowUtf8))
            {
                return false;
            }
        }

        // RFC 5321 section 4.5.3.1.1: the local part is at most 64 octets.
        return at <= MaxLocalPartLength
            && at < mailbox.Length
            && mailbox[at] == '@'
            && DomainSyntax.IsDomainOrAddressLiteral(mailbox[(at + 1)..], allowUtf8);
    }

    /// <summary>String = Atom / Quoted-string (VRFY, EXPN, HELP, NOOP arguments).</summary>
    public static bool IsString(ReadOnlySpan<byte> text, bool allowUtf8) =>
        !text.IsEmpty && (text[0] == '"' ? QuotedStringLength(text, allowUtf8) == text.Length : IsAtom(text, allowUtf8));

    /// <summary>Dot-string = Atom *("." Atom).</summary>
    private static bool IsDotString(ReadOnlySpan<byte> text, bool allowUtf8)
    {
        foreach (Range range in text.Split((byte)'.'))
        {
            if (!IsAtom(text[range], allowUtf8))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Atom = 1*atext.</summary>
    private static bool IsAtom(ReadOnlySpan<byte> text, bool allowUtf8)
    {
        if (text.IsEmpty)
        {
            return false;
        }

        foreach (byte b in text)
        {
            if (!IsAtext(b, allowUtf8))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>atext of RFC 5322 section 3.2.3, plus UTF8-non-ascii under RFC 6531 section 3.3.</summary>
    private static bool IsAtext(byte b, bool allowUtf8) =>
        char.IsAsciiLetterOrDigit((char)b)
        || b is (byte)'!' or (byte)'#' or (byte)'$' or (byte)'%' or (byte)'&' or (byte)'\'' or (byte)'*' or (byte)'+'
            or (byte)'-' or (byte)'/' or (byte)'=' or (byte)'?' or (byte)'^' or (byte)'_' or (byte)'`' or (byte)'{'
            or (byte)'|' or (byte)'}' or (byte)'~'
        || (allowUtf8 && b >= 0x80);

    /// <summary>
    /// The length of the Quoted-string at the start of <paramref name="text"/> (DQUOTE *QcontentSMTP DQUOTE),
    /// or -1 when it is not one.
    /// </summary>
    private static int QuotedStringLength(ReadOnlySpan<byte> text, bool allowUtf8)
    {
        for (int i = 1; i < text.Length; i++)
        {
            byte b = text[i];
            if (b == '"')
            {
                return i + 1;
            }

            if (b == '\\')
            {
                // quoted-pairSMTP = %d92 %d32-126.
                if (++i >= text.Length || text[i] is < 32 or > 126)
                {
                    return -1;
                }
            }
            else if (!(b is >= 32 and <= 126 || (allowUtf8 && b >= 0x80)))
            {
                // qtextSMTP = %d32-33 / %d35-91 / %d93-126, the excluded 34 and 92 are handled above.
                return -1;
            }
        }

        return -1;
    }
}
