using System;
using System.Buffers;

namespace SmtpCodec.Commands;

/// <summary>
/// The byte classes the command syntax checks search with (vectorized by <see cref="SearchValues{T}"/>), each
/// also as its one-byte definition; the tests hold every set to its definition for all 256 byte values.
/// </summary>
internal static class SyntaxSets
{
    private const string Specials = "!#$%&'*+-/=?^_`{|}~";
    private const string LettersAndDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>atext and '.': what a Dot-string is made of (RFC 5321 section 4.1.2).</summary>
    public static readonly SearchValues<byte> AtextOrDot = Create(LettersAndDigits + Specials + ".", withNonAscii: false);

    /// <summary>The same with UTF8-non-ascii (RFC 6531 section 3.3).</summary>
    public static readonly SearchValues<byte> AtextOrDotUtf8 = Create(LettersAndDigits + Specials + ".", withNonAscii: true);

    /// <summary>atext alone: what an Atom is made of.</summary>
    public static readonly SearchValues<byte> Atext = Create(LettersAndDigits + Specials, withNonAscii: false);

    /// <summary>atext alone, with UTF8-non-ascii.</summary>
    public static readonly SearchValues<byte> AtextUtf8 = Create(LettersAndDigits + Specials, withNonAscii: true);

    /// <summary>Let-dig, '-' and '.': what a Domain is made of (RFC 5321 section 4.1.2).</summary>
    public static readonly SearchValues<byte> DomainBytes = Create(LettersAndDigits + "-.", withNonAscii: false);

    /// <summary>The same with non-ASCII bytes counted as letters (U-labels, RFC 6531 section 3.3).</summary>
    public static readonly SearchValues<byte> DomainBytesUtf8 = Create(LettersAndDigits + "-.", withNonAscii: true);

    /// <summary>xchar: '!' to '~' except '+' and '=' (RFC 3461 section 4).</summary>
    public static readonly SearchValues<byte> Xchar = CreateXchar();

    /// <summary>Class bit of <see cref="Classes"/>: atext.</summary>
    public const byte AtextClass = 1;

    /// <summary>Class bit of <see cref="Classes"/>: a letter, a digit or '-' (what a sub-domain is made of).</summary>
    public const byte LdhClass = 2;

    /// <summary>Class bit of <see cref="Classes"/>: a non-ASCII byte, atext and letter under SMTPUTF8.</summary>
    public const byte NonAsciiClass = 4;

    /// <summary>Each byte's classes, for the one-pass scalar checks of short arguments.</summary>
    public static readonly byte[] Classes = CreateClasses();

    /// <summary>atext of RFC 5322 section 3.2.3, plus UTF8-non-ascii under RFC 6531 section 3.3.</summary>
    public static bool IsAtext(byte b, bool allowUtf8) =>
        char.IsAsciiLetterOrDigit((char)b)
        || b is (byte)'!' or (byte)'#' or (byte)'$' or (byte)'%' or (byte)'&' or (byte)'\'' or (byte)'*' or (byte)'+'
            or (byte)'-' or (byte)'/' or (byte)'=' or (byte)'?' or (byte)'^' or (byte)'_' or (byte)'`' or (byte)'{'
            or (byte)'|' or (byte)'}' or (byte)'~'
        || (allowUtf8 && b >= 0x80);

    /// <summary>Let-dig or '-' of a sub-domain; with <paramref name="allowUtf8"/>, non-ASCII bytes count as letters.</summary>
    public static bool IsLdh(byte b, bool allowUtf8) => char.IsAsciiLetterOrDigit((char)b) || b == '-' || (allowUtf8 && b >= 0x80);

    /// <summary>xchar = any ASCII CHAR between "!" (33) and "~" (126) inclusive, except "+" and "=" (RFC 3461 section 4).</summary>
    public static bool IsXchar(byte b) => b is >= 33 and <= 126 and not (byte)'+' and not (byte)'=';

    private static SearchValues<byte> Create(string ascii, bool withNonAscii)
    {
        var bytes = new byte[ascii.Length + (withNonAscii ? 128 : 0)];
        for (int i = 0; i < ascii.Length; i++)
        {
            bytes[i] = (byte)ascii[i];
        }

        for (int i = 0; withNonAscii && i < 128; i++)
        {
            bytes[ascii.Length + i] = (byte)(0x80 + i);
        }

        return SearchValues.Create(bytes);
    }

    private static byte[] CreateClasses()
    {
        var classes = new byte[256];
        for (int b = 0; b < classes.Length; b++)
        {
            classes[b] = (byte)((IsAtext((byte)b, allowUtf8: false) ? AtextClass : 0)
                | (IsLdh((byte)b, allowUtf8: false) ? LdhClass : 0)
                | (b >= 0x80 ? NonAsciiClass : 0));
        }

        return classes;
    }

    private static SearchValues<byte> CreateXchar()
    {
        var bytes = new byte[126 - 33 + 1 - 2];
        int count = 0;
        for (int b = 33; b <= 126; b++)
        {
            if (b is not '+' and not '=')
            {
                bytes[count++] = (byte)b;
            }
        }

        return SearchValues.Create(bytes);
    }
}
