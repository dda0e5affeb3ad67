using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SmtpCodec.Replies;

/// <summary>
/// The fast path of <see cref="SmtpReplyReader"/> for the common case: a whole, well-formed reply already
/// in one span. The control bytes of 64 input bytes at a time become one bit mask; each line then costs a
/// trailing-zero count for its end, a check of the CR LF pair, and one integer comparison of the next
/// line's code with the first line's. Anything unusual (HT, an incomplete reply, an error, a limit) returns
/// false and the caller runs the full <see cref="ReplyScan"/> state machine, which decides exactly.
/// </summary>
internal static class ReplyFastScan
{
    private const byte Cr = (byte)'\r';
    private const byte Lf = (byte)'\n';
    private const int Block = 64;

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
        uint head = Unsafe.ReadUnaligned<uint>(ref start);
        uint d0 = (head & 0xFF) - '2';
        uint d1 = ((head >> 8) & 0xFF) - '0';
        uint d2 = ((head >> 16) & 0xFF) - '0';

        // RFC 5321 section 4.2: first digit 2-5, second 0-5, third 0-9.
        if (d0 > 3 || d1 > 5 || d2 > 9)
        {
            return false;
        }

        uint codeBytes = head & 0xFFFFFF;
        int maxLineLength = options.MaxLineLength;
        int maxLines = options.MaxLines;
        bool requireCrLf = options.RequireCrLf;

        // Bit i of `controls`: byte blockStart + i is below 0x20 or DEL. Bytes before the current line are cleared.
        int blockStart = 0;
        ulong controls = ControlMask(ref start, 0, limit);
        int lineStart = 0;
        int lineCount = 0;
        int textEnd;
        while (true)
        {
            // The separator: '-' more lines follow; SP or a line end (a code alone) ends the reply.
            byte separator = Unsafe.Add(ref start, lineStart + 3);
            bool last = separator != (byte)'-';
            if (last && separator != (byte)' ' && separator != Cr && separator != Lf)
            {
                return false;
            }

            // The line's first control byte: its digits hold none, so it is at the separator or after it.
            while (controls == 0)
            {
                blockStart = Math.Max(blockStart + Block, lineStart + 3);
                if (blockStart >= limit)
                {
                    return false;
                }

                controls = ControlMask(ref start, blockStart, limit);
            }

            textEnd = blockStart + BitOperations.TrailingZeroCount(controls);
            int lf = textEnd;
            byte control = Unsafe.Add(ref start, textEnd);
            if (control == Cr)
            {
                lf++;
                if (lf >= limit || Unsafe.Add(ref start, lf) != Lf)
                {
                    return false;
                }
            }
            else if (control != Lf || requireCrLf)
            {
                // HT, another control byte, or a bare LF where CR LF is required: the state machine decides.
                return false;
            }

            if (lineCount == 0)
            {
                firstTextEnd = textEnd;
            }

            lineCount++;
            int nextLine = lf + 1;
            if (nextLine - lineStart > maxLineLength || lineCount > maxLines)
            {
                return false;
            }

            lineStart = nextLine;
            if (last)
            {
                break;
            }

            // A continuation line needs its code and separator here, and the same code (RFC 5321 section 4.2.1).
            if (lineStart + 4 > limit || (Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, lineStart)) & 0xFFFFFF) != codeBytes)
            {
                return false;
            }

            int consumed = lineStart - blockStart;
            controls = consumed < Block ? controls & (ulong.MaxValue << consumed) : 0;
        }

        length = lineStart;
        lines = lineCount;
        code = (int)((d0 + 2) * 100 + (d1 * 10) + d2);
        return true;
    }

    /// <summary>Bit i set: byte <paramref name="offset"/> + i (below <paramref name="limit"/>) is below 0x20 or is DEL.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ControlMask(ref byte start, int offset, int limit)
    {
        int available = limit - offset;
        if (available >= Block)
        {
            return FullBlock(ref Unsafe.Add(ref start, offset));
        }

        if (limit >= Block)
        {
            // The last block overlaps the one before rather than reading past the end.
            return FullBlock(ref Unsafe.Add(ref start, limit - Block)) >> (Block - available);
        }

        return ShortInput(ref start, limit) >> offset;
    }

    /// <summary>The control bytes of the 64 bytes at <paramref name="block"/>.</summary>
    private static ulong FullBlock(ref byte block)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<byte> bytes = Vector512.LoadUnsafe(ref block);
            return (Vector512.LessThan(bytes, Vector512.Create((byte)0x20)) | Vector512.Equals(bytes, Vector512.Create((byte)0x7F))).ExtractMostSignificantBits();
        }

        if (Vector256.IsHardwareAccelerated)
        {
            return Controls256(ref block) | ((ulong)Controls256(ref Unsafe.Add(ref block, 32)) << 32);
        }

        return Controls128(ref block)
            | ((ulong)Controls128(ref Unsafe.Add(ref block, 16)) << 16)
            | ((ulong)Controls128(ref Unsafe.Add(ref block, 32)) << 32)
            | ((ulong)Controls128(ref Unsafe.Add(ref block, 48)) << 48);
    }

    /// <summary>The control bytes of a whole input shorter than 64 bytes, in overlapping 16-byte loads.</summary>
    private static ulong ShortInput(ref byte start, int length)
    {
        if (length < 16 || !Vector128.IsHardwareAccelerated)
        {
            ulong mask = 0;
            for (int i = 0; i < length; i++)
            {
                byte b = Unsafe.Add(ref start, i);
                if (b < 0x20 || b == 0x7F)
                {
                    mask |= 1UL << i;
                }
            }

            return mask;
        }

        // Loads at 0, 16, 32 (as far as they fit) and one ending at the last byte; overlaps agree.
        ulong bits = Controls128(ref start);
        int last = length - 16;
        for (int at = 16; at < last; at += 16)
        {
            bits |= (ulong)Controls128(ref Unsafe.Add(ref start, at)) << at;
        }

        return bits | ((ulong)Controls128(ref Unsafe.Add(ref start, last)) << last);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Controls256(ref byte at)
    {
        Vector256<byte> bytes = Vector256.LoadUnsafe(ref at);
        return (Vector256.LessThan(bytes, Vector256.Create((byte)0x20)) | Vector256.Equals(bytes, Vector256.Create((byte)0x7F))).ExtractMostSignificantBits();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Controls128(ref byte at)
    {
        Vector128<byte> bytes = Vector128.LoadUnsafe(ref at);
        return (Vector128.LessThan(bytes, Vector128.Create((byte)0x20)) | Vector128.Equals(bytes, Vector128.Create((byte)0x7F))).ExtractMostSignificantBits();
    }
}
