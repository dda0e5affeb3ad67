using SmtpCodec.Commands;

namespace SmtpCodec.Tests.Commands;

/// <summary>
/// RFC 5321 section 4.1.2's Mailbox read plainly, byte by byte, as the writer checked it before its fast paths:
/// the definition the tests hold <c>MailboxSyntax</c> to. Address literals go to <c>DomainSyntax</c>, whose
/// literal checks have no fast path.
/// </summary>
internal static class ReferenceMailbox
{
    public static bool IsMailbox(ReadOnlySpan<byte> mailbox, bool allowUtf8)
    {
        if (mailbox.IsEmpty || mailbox.Length > 254)
        {
            return false;
        }

        int at;
        if (mailbox[0] == '"')
        {
            at = QuotedStringLength(mailbox, allowUtf8);
            if (at < 0)
            {
                return false;
            }
        }
        else
        {
            at = mailbox.IndexOf((byte)'@');
            if (at <= 0 || !IsDotString(mailbox[..at], allowUtf8))
            {
                return false;
            }
        }

        if (at > 64 || at >= mailbox.Length || mailbox[at] != '@')
        {
            return false;
        }

        ReadOnlySpan<byte> domain = mailbox[(at + 1)..];
        return !domain.IsEmpty && domain[0] == '[' ? DomainSyntax.IsAddressLiteral(domain) : IsDomain(domain, allowUtf8);
    }

    private static bool IsDotString(ReadOnlySpan<byte> text, bool allowUtf8)
    {
        foreach (Range range in text.Split((byte)'.'))
        {
            ReadOnlySpan<byte> atom = text[range];
            if (atom.IsEmpty)
            {
                return false;
            }

            foreach (byte b in atom)
            {
                if (!(char.IsAsciiLetterOrDigit((char)b) || "!#$%&'*+-/=?^_`{|}~".Contains((char)b) || (allowUtf8 && b >= 0x80)))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool IsDomain(ReadOnlySpan<byte> domain, bool allowUtf8)
    {
        if (domain.IsEmpty || domain.Length > 255)
        {
            return false;
        }

        foreach (Range range in domain.Split((byte)'.'))
        {
            ReadOnlySpan<byte> label = domain[range];
            if (label.IsEmpty || label.Length > 63 || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            foreach (byte b in label)
            {
                if (!(char.IsAsciiLetterOrDigit((char)b) || b == '-' || (allowUtf8 && b >= 0x80)))
                {
                    return false;
                }
            }
        }

        return true;
    }

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
                if (++i >= text.Length || text[i] is < 32 or > 126)
                {
                    return -1;
                }
            }
            else if (!(b is >= 32 and <= 126 || (allowUtf8 && b >= 0x80)))
            {
                return -1;
            }
        }

        return -1;
    }
}
