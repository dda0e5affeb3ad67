using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SmtpCodec.Replies;

/// <summary>
/// The fast path of <see cref="SmtpReplyReader"/> for the common case: a whole, well-formed reply already
/// in one span. One vectorized search per line finds its end; continuation lines compare their code with
/// the first line's as one integer. Anything unusual (HT, an incomplete reply, an error, a limit) returns
/// false and the caller runs the full <see cref="ReplyScan"/> state machine, which decides exactly.
/// </summary>
internal static class ReplyFastScan
{
    private const byte Cr = (byte)'\r';
    private const byte Lf = (byte)'\n';

    /// <summary>Finds a whole valid reply at the start of <paramref name="input"/>.</summary>
    /// <param name="input">Bytes starting at a reply's first byte.</param>
    /// <param name="options">Limits in force.</param>
    /// <param name="length">The reply's length, line ends included.</param>
    /// <param name="lines">How many lines it has.</param>
    /// <param name="code">Its code.</param>
    /// <param name="firstTextEnd">Where the first line's text ends (before its CR or LF).</param>
    /// <returns>False when the state machine must decide.</returns>
    internal static bool TryScan(ReadOnlySpan<byte> input, SmtpReplyReaderOptions options, out int length, out int lines, out int code, out int firstTextEnd)
    {
        length = lines = code = firstTextEnd = 0;
        int limit = Math.Min(input.Length, options.MaxReplyLength);
        if (limit < 4)
        {
            return false;
        }

        ref byte start = ref MemoryMarshal.GetReference(input);
        uint d0 = (uint)(start - '2');
        uint d1 = (uint)(Unsafe.Add(ref start, 1) - '0');
        uint d2 = (uint)(Unsafe.Add(ref start, 2) - '0');

        // RFC 5321 section 4.2: first digit 2-5, second 0-5, third 0-9.
        if (d0 > 3 || d1 > 5 || d2 > 9)
        {
            return false;
        }

        code = (int)((d0 + 2) * 100 + (d1 * 10) + d2);
        uint codeBytes = Unsafe.ReadUnaligned<ushort>(ref start) | ((uint)Unsafe.Add(ref start, 2) << 16);
        int lineStart = 0;
        int position = 3;
        while (true)
        {
            byte separator = Unsafe.Add(ref start, position);
            bool last;
            if (separator == (byte)' ')
            {
                last = true;
                position++;
            }
            else if (separator == (byte)'-')
            {
                last = false;
                position++;
            }
            else if (separator is Cr or Lf)
            {
                last = true;
            }
            else
            {
                return false;
            }

            int lineLimit = Math.Min(limit, lineStart + options.MaxLineLength);
            int found = IndexOfControl(ref Unsafe.Add(ref start, position), lineLimit - position);
            if (found < 0)
            {
                return false;
            }

            int textEnd = position + found;
            int lf;
            byte control = Unsafe.Add(ref start, textEnd);
            if (control == Cr)
            {
                lf = textEnd + 1;
                if (lf >= lineLimit || Unsafe.Add(ref start, lf) != Lf)
                {
                    return false;
                }
            }
            else if (control == Lf && !options.RequireCrLf)
            {
                lf = textEnd;
            }
            else
            {
                return false;
            }

            lines++;
            if (lines > options.MaxLines)
            {
                return false;
            }

            if (lines == 1)
            {
                firstTextEnd = textEnd;
            }

            lineStart = lf + 1;
            if (last)
            {
                length = lineStart;
                return true;
            }

            // A continuation line needs its code and separator here, and the same code (RFC 5321 section 4.2.1).
            if (lineStart + 4 > limit
                || (Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref start, lineStart)) | ((uint)Unsafe.Add(ref start, lineStart + 2) << 16)) != codeBytes)
            {
                return false;
            }

            position = lineStart + 3;
        }
    }

    /// <summary>The index of the first byte below 0x20 or equal to 0x7F, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int IndexOfControl(ref byte start, int length)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && length >= Vector256<byte>.Count)
        {
            Vector256<byte> space = Vector256.Create((byte)0x20);
            Vector256<byte> del = Vector256.Create((byte)0x7F);
            int lastBlock = length - Vector256<byte>.Count;
            while (true)
            {
                Vector256<byte> block = Vector256.LoadUnsafe(ref start, (nuint)i);
                uint mask = (Vector256.LessThan(block, space) | Vector256.Equals(block, del)).ExtractMostSignificantBits();
                if (mask != 0)
                {
                    return i + BitOperations.TrailingZeroCount(mask);
                }

                if (i == lastBlock)
                {
                    return -1;
                }

                // The last block overlaps the one before rather than reading past the end.
                i = Math.Min(i + Vector256<byte>.Count, lastBlock);
            }
        }

        if (Vector128.IsHardwareAccelerated && length >= Vector128<byte>.Count)
        {
            Vector128<byte> space = Vector128.Create((byte)0x20);
            Vector128<byte> del = Vector128.Create((byte)0x7F);
            int lastBlock = length - Vector128<byte>.Count;
            while (true)
            {
                Vector128<byte> block = Vector128.LoadUnsafe(ref start, (nuint)i);
                uint mask = (Vector128.LessThan(block, space) | Vector128.Equals(block, del)).ExtractMostSignificantBits();
                if (mask != 0)
                {
                    return i + BitOperations.TrailingZeroCount(mask);
                }

                if (i == lastBlock)
                {
                    return -1;
                }

                i = Math.Min(i + Vector128<byte>.Count, lastBlock);
            }
        }

        for (; i < length; i++)
        {
            byte b = Unsafe.Add(ref start, i);
            if (b < 0x20 || b == 0x7F)
            {
                return i;
            }
        }

        return -1;
    }
}
