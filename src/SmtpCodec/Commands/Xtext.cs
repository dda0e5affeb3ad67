using System;
using SmtpCodec.Text;

namespace SmtpCodec.Commands;

/// <summary>
/// The xtext encoding of RFC 3461 section 4 (ENVID, ORCPT, AUTH=): printable ASCII except '+' and '='
/// stands for itself; every other byte is written as '+' and two upper-case hex digits.
/// </summary>
public static class Xtext
{
    /// <summary>The length of the xtext form of <paramref name="source"/> (for tests: the writers size lines by the 512-octet limit).</summary>
    /// <param name="source">The bytes to encode.</param>
    /// <returns>The number of bytes <see cref="Encode"/> writes.</returns>
    internal static int GetEncodedLength(ReadOnlySpan<byte> source)
    {
        int length = 0;
        foreach (byte b in source)
        {
            length += IsXchar(b) ? 1 : 3;
        }

        return length;
    }

    /// <summary>Writes the xtext form of <paramref name="source"/>.</summary>
    /// <param name="source">The bytes to encode.</param>
    /// <param name="destination">Where the xtext goes; up to three times the source long.</param>
    /// <returns>The number of bytes written, or -1 when <paramref name="destination"/> is too small (then its content is unspecified).</returns>
    public static int Encode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int j = 0;
        foreach (byte b in source)
        {
            if (IsXchar(b))
            {
                if (j >= destination.Length)
                {
                    return -1;
                }

                destination[j++] = b;
            }
            else
            {
                if (j + 3 > destination.Length)
                {
                    return -1;
                }

                destination[j] = (byte)'+';
                HexDigits.Write(b, HexDigits.Upper, destination[(j + 1)..]);
                j += 3;
            }
        }

        return j;
    }

    /// <summary>xchar = any ASCII CHAR between "!" (33) and "~" (126) inclusive, except "+" and "=" (RFC 3461 section 4).</summary>
    private static bool IsXchar(byte b) => b is >= 33 and <= 126 and not (byte)'+' and not (byte)'=';
}
