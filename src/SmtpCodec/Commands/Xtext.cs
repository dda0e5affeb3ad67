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
            length += SyntaxSets.IsXchar(b) ? 1 : 3;
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
        while (!source.IsEmpty)
        {
            // Runs of xchars stand for themselves: find each run's end with one vectorized search and copy it at once.
            int run = source.IndexOfAnyExcept(SyntaxSets.Xchar);
            if (run < 0)
            {
                run = source.Length;
            }

            if (!source[..run].TryCopyTo(destination[j..]))
            {
                return -1;
            }

            j += run;
            if (run == source.Length)
            {
                break;
            }

            if (j + 3 > destination.Length)
            {
                return -1;
            }

            WriteEncoded(source[run], destination[j..]);
            j += 3;
            source = source[(run + 1)..];
        }

        return j;
    }

    /// <summary>
    /// Turns the first <paramref name="length"/> bytes of <paramref name="buffer"/> into their xtext form in place: no work
    /// when every byte is an xchar, else the bytes from the first one to encode are spread from the end backwards.
    /// </summary>
    /// <returns>The xtext's length, or -1 when it does not fit in <paramref name="buffer"/> (then its content is unspecified).</returns>
    internal static int EncodeInPlace(Span<byte> buffer, int length)
    {
        int first = buffer[..length].IndexOfAnyExcept(SyntaxSets.Xchar);
        if (first < 0)
        {
            return length;
        }

        int total = length;
        for (ReadOnlySpan<byte> rest = buffer[first..length]; ;)
        {
            total += 2;
            int next = rest[1..].IndexOfAnyExcept(SyntaxSets.Xchar);
            if (next < 0)
            {
                break;
            }

            rest = rest[(next + 1)..];
        }

        if (total > buffer.Length)
        {
            return -1;
        }

        // From the end: move each run of xchars to where it ends up, then write the byte before it as "+XX".
        int end = length;
        int j = total;
        while (true)
        {
            int encode = buffer[..end].LastIndexOfAnyExcept(SyntaxSets.Xchar);
            int run = end - encode - 1;
            j -= run;
            buffer.Slice(encode + 1, run).CopyTo(buffer[j..]);
            j -= 3;
            WriteEncoded(buffer[encode], buffer[j..]);
            if (encode == first)
            {
                return total;
            }

            end = encode;
        }
    }

    private static void WriteEncoded(byte b, Span<byte> destination)
    {
        destination[0] = (byte)'+';
        HexDigits.Write(b, HexDigits.Upper, destination[1..]);
    }
}
