using System;

namespace SmtpCodec.Commands;

/// <summary>Checks domains and address literals of RFC 5321 section 4.1.2 and 4.1.3 on encoded bytes.</summary>
internal static class DomainSyntax
{
    private const int MaxDomainLength = 255;
    internal const int MaxLabelLength = 63;

    /// <summary>Domain = sub-domain *("." sub-domain); with <paramref name="allowUtf8"/>, non-ASCII bytes count as letters (U-labels, RFC 6531 section 3.3).</summary>
    public static bool IsDomain(ReadOnlySpan<byte> domain, bool allowUtf8)
    {
        // RFC 5321 section 4.5.3.1.2: at most 255 octets.
        if (domain.IsEmpty || domain.Length > MaxDomainLength)
        {
            return false;
        }

        if (domain.IndexOfAnyExcept(allowUtf8 ? SyntaxSets.DomainBytesUtf8 : SyntaxSets.DomainBytes) >= 0)
        {
            return false;
        }

        // Only letters, digits, hyphens and dots are left: each label must be a sub-domain's length and shape.
        while (true)
        {
            int dot = domain.IndexOf((byte)'.');
            ReadOnlySpan<byte> label = dot < 0 ? domain : domain[..dot];
            if (label.IsEmpty || label.Length > MaxLabelLength || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            if (dot < 0)
            {
                return true;
            }

            domain = domain[(dot + 1)..];
        }
    }

    /// <summary>address-literal = "[" ( IPv4-address-literal / IPv6-address-literal / General-address-literal ) "]".</summary>
    public static bool IsAddressLiteral(ReadOnlySpan<byte> literal)
    {
        if (literal.Length < 3 || literal[0] != '[' || literal[^1] != ']')
        {
            return false;
        }

        ReadOnlySpan<byte> inner = literal[1..^1];
        if (IsIPv4(inner))
        {
            return true;
        }

        int colon = inner.IndexOf((byte)':');
        if (colon <= 0)
        {
            return false;
        }

        ReadOnlySpan<byte> tag = inner[..colon];
        ReadOnlySpan<byte> content = inner[(colon + 1)..];
        if (tag.Length == 4 && (tag[0] | 0x20) == 'i' && (tag[1] | 0x20) == 'p' && (tag[2] | 0x20) == 'v' && tag[3] == '6')
        {
            return IsIPv6(content);
        }

        // General-address-literal = Standardized-tag ":" 1*dcontent, dcontent = %d33-90 / %d94-126 (RFC 5321 section 4.1.3).
        if (!IsSubDomain(tag, allowUtf8: false) || content.IsEmpty)
        {
            return false;
        }

        foreach (byte b in content)
        {
            if (b is < 33 or (> 90 and < 94) or > 126)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Domain or address literal, as EHLO and the part after '@' of a mailbox take.</summary>
    public static bool IsDomainOrAddressLiteral(ReadOnlySpan<byte> text, bool allowUtf8) =>
        !text.IsEmpty && text[0] == '[' ? IsAddressLiteral(text) : IsDomain(text, allowUtf8);

    /// <summary>IPv4-address-literal = Snum 3("." Snum), Snum = 1*3DIGIT representing 0-255.</summary>
    public static bool IsIPv4(ReadOnlySpan<byte> text)
    {
        int parts = 0;
        foreach (Range range in text.Split((byte)'.'))
        {
            ReadOnlySpan<byte> part = text[range];
            if (part.IsEmpty || part.Length > 3 || ++parts > 4)
            {
                return false;
            }

            int value = 0;
            foreach (byte b in part)
            {
                if (!char.IsAsciiDigit((char)b))
                {
                    return false;
                }

                value = (value * 10) + (b - '0');
            }

            if (value > 255)
            {
                return false;
            }
        }

        return parts == 4;
    }

    /// <summary>IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp of RFC 5321 section 4.1.3.</summary>
    public static bool IsIPv6(ReadOnlySpan<byte> text)
    {
        int groups = 0;
        bool compressed = false;
        int i = 0;
        if (text.StartsWith("::"u8))
        {
            compressed = true;
            i = 2;
        }
        else if (text.IsEmpty || text[0] == ':')
        {
            return false;
        }

        while (i < text.Length)
        {
            ReadOnlySpan<byte> rest = text[i..];
            if (rest.IndexOf((byte)':') < 0 && rest.IndexOf((byte)'.') >= 0)
            {
                // An IPv4 tail stands for two groups.
                if (!IsIPv4(rest))
                {
                    return false;
                }

                groups += 2;
                i = text.Length;
                break;
            }

            int digits = 0;
            while (i < text.Length && digits < 5 && char.IsAsciiHexDigit((char)text[i]))
            {
                i++;
                digits++;
            }

            if (digits is 0 or > 4)
            {
                return false;
            }

            groups++;
            if (i == text.Length)
            {
                break;
            }

            if (text[i] != ':')
            {
                return false;
            }

            i++;
            if (i < text.Length && text[i] == ':')
            {
                if (compressed)
                {
                    return false;
                }

                compressed = true;
                i++;
            }
            else if (i == text.Length)
            {
                return false;
            }
        }

        // "::" stands for at least two groups of zeros, so at most six others may be present (RFC 5321 section 4.1.3).
        return compressed ? groups <= 6 : groups == 8;
    }

    /// <summary>sub-domain = Let-dig [Ldh-str]: letters, digits and inner hyphens, at most 63 octets.</summary>
    private static bool IsSubDomain(ReadOnlySpan<byte> label, bool allowUtf8)
    {
        if (label.IsEmpty || label.Length > MaxLabelLength || label[0] == '-' || label[^1] == '-')
        {
            return false;
        }

        return label.IndexOfAnyExcept(allowUtf8 ? SyntaxSets.DomainBytesUtf8 : SyntaxSets.DomainBytes) < 0 && label.IndexOf((byte)'.') < 0;
    }
}
