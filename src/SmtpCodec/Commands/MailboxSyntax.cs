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

        if (IsDotAtomAtDomainName(mailbox, allowUtf8))
        {
            return true;
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

    /// <summary>
    /// The usual mailbox, a Dot-string, '@' and a Domain, in one scalar pass over the byte classes: addresses are
    /// short, and here one table lookup per byte beats a vectorized search per part. False is no verdict: the
    /// general path above decides (quoted local parts, address literals, and every refusal).
    /// </summary>
    private static bool IsDotAtomAtDomainName(ReadOnlySpan<byte> mailbox, bool allowUtf8)
    {
        byte[] classes = SyntaxSets.Classes;
        int nonAscii = allowUtf8 ? SyntaxSets.NonAsciiClass : 0;
        int atext = SyntaxSets.AtextClass | nonAscii;
        int ldh = SyntaxSets.LdhClass | nonAscii;
        bool afterDot = true;
        int i = 0;
        for (; i < mailbox.Length; i++)
        {
            byte b = mailbox[i];
            if ((classes[b] & atext) != 0)
            {
                afterDot = false;
            }
            else if (b == '.' && !afterDot)
            {
                afterDot = true;
            }
            else
            {
                break;
            }
        }

        if (afterDot || i == mailbox.Length || i > MaxLocalPartLength || mailbox[i] != '@')
        {
            return false;
        }

        int label = ++i;
        for (; i < mailbox.Length; i++)
        {
            byte b = mailbox[i];
            if ((classes[b] & ldh) == 0)
            {
                if (b != '.' || !IsLabel(mailbox[label..i]))
                {
                    return false;
                }

                label = i + 1;
            }
        }

        return IsLabel(mailbox[label..]);
    }

    /// <summary>A sub-domain whose bytes are known to be letters, digits or '-': 1 to 63 of them, no '-' first or last.</summary>
    private static bool IsLabel(ReadOnlySpan<byte> label) =>
        label.Length is > 0 and <= DomainSyntax.MaxLabelLength && label[0] != '-' && label[^1] != '-';

    /// <summary>String = Atom / Quoted-string (VRFY, EXPN, HELP, NOOP arguments).</summary>
    public static bool IsString(ReadOnlySpan<byte> text, bool allowUtf8) =>
        !text.IsEmpty && (text[0] == '"' ? QuotedStringLength(text, allowUtf8) == text.Length : IsAtom(text, allowUtf8));

    /// <summary>Dot-string = Atom *("." Atom): atext and dots, with no dot first, last or next to another.</summary>
    private static bool IsDotString(ReadOnlySpan<byte> text, bool allowUtf8) =>
        !text.IsEmpty
        && text.IndexOfAnyExcept(allowUtf8 ? SyntaxSets.AtextOrDotUtf8 : SyntaxSets.AtextOrDot) < 0
        && text[0] != '.'
        && text[^1] != '.'
        && text.IndexOf(".."u8) < 0;

    /// <summary>Atom = 1*atext.</summary>
    private static bool IsAtom(ReadOnlySpan<byte> text, bool allowUtf8) =>
        !text.IsEmpty && text.IndexOfAnyExcept(allowUtf8 ? SyntaxSets.AtextUtf8 : SyntaxSets.Atext) < 0;

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
