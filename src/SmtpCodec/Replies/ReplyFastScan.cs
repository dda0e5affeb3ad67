using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SmtpCodec.Replies;

/// <summary>
/// The fast path of <see cref="SmtpReplyReader"/> for the common case: a whole, well-formed reply already
/// in one span. 64 input bytes at a time become bit masks of their LFs and of what the fast path does not
/// take (other control bytes, a CR without its LF); each line then costs a trailing-zero count for its end
/// and one integer comparison of the next line's code and separator, with no chain from line to line. Anything unusual (HT, an incomplete reply, an error, a limit) returns
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
    /// <returns>False when the state machine must decide.</returns>
    internal static bool TryScan(ReadOnlySpan<byte> input, SmtpReplyReaderOptions options, out int length, out int lines, out int code)
    {
        length = lines = code = 0;
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
        if (d0 > 3 || d1 > 5 || d2 > 9 || !TryReadSeparator(head, out bool last))
        {
            return false;
        }

        // Few locals live across the loop, so that the JIT keeps them in registers: the line count is checked
        // once at the end (a line takes at least 4 bytes, so the scan is bounded by the limit anyway).
        uint codeBytes = head & 0xFFFFFF;
        int maxLineLength = options.MaxLineLength;
        bool requireCrLf = options.RequireCrLf;
        int lineStart = 0;
        int lineCount = 0;
        for (int blockStart = 0; blockStart < limit; blockStart += Block)
        {
            // Bit i of each mask stands for byte blockStart + i. Every LF ends a line; each line end is checked
            // for its length and the next line for its code and separator, independently of the other lines.
            ulong lineFeeds = BlockMasks(ref start, blockStart, limit, requireCrLf, out ulong faults);
            while (lineFeeds != 0)
            {
                int lf = blockStart + BitOperations.TrailingZeroCount(lineFeeds);
                lineFeeds &= lineFeeds - 1;
                lineCount++;
                if (lf - lineStart >= maxLineLength)
                {
                    return false;
                }

                lineStart = lf + 1;
                if (last)
                {
                    // The reply ends here: only the faults up to its end count, the rest is the next reply's.
                    if ((faults & ((2UL << (lf - blockStart)) - 1)) != 0 || lineCount > options.MaxLines)
                    {
                        return false;
                    }

                    length = lineStart;
                    lines = lineCount;
                    code = (int)((d0 + 2) * 100 + (d1 * 10) + d2);
                    return true;
                }

                // A continuation line needs its code and separator here, and the same code (RFC 5321 section 4.2.1).
                if (lineStart + 4 > limit)
                {
                    return false;
                }

                uint next = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, lineStart));
                if ((next & 0xFFFFFF) != codeBytes || !TryReadSeparator(next, out last))
                {
                    return false;
                }
            }

            if (faults != 0)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>The byte after a line's code: '-' more lines follow; SP or a line end (a code alone) ends the reply.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryReadSeparator(uint lineHead, out bool last)
    {
        uint separator = lineHead >> 24;
        last = separator != '-';
        return !last || separator is ' ' or Cr or Lf;
    }

    /// <summary>
    /// The LFs of the 64 bytes at <paramref name="offset"/> (none at or past <paramref name="limit"/>), and in
    /// <paramref name="faults"/> what the fast path leaves to the state machine: control bytes other than CR and
    /// LF (HT included), a CR not followed by LF, and a LF without CR when CR LF is required.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong BlockMasks(ref byte start, int offset, int limit, bool requireCrLf, out ulong faults)
    {
        int available = limit - offset;
        ulong controls, crs, lfs;
        if (available >= Block)
        {
            FullBlock(ref Unsafe.Add(ref start, offset), out controls, out crs, out lfs);
        }
        else if (limit >= Block)
        {
            // The last block overlaps the one before rather than reading past the end.
            FullBlock(ref Unsafe.Add(ref start, limit - Block), out controls, out crs, out lfs);
            int shift = Block - available;
            controls >>= shift;
            crs >>= shift;
            lfs >>= shift;
        }
        else
        {
            ShortInput(ref start, limit, out controls, out crs, out lfs);
            controls >>= offset;
            crs >>= offset;
            lfs >>= offset;
        }

        // A CR must be followed by LF; the LF of a CR in the block's last byte is the next block's first.
        ulong loneCrs = crs & ~(lfs >> 1);
        if ((long)crs < 0 && offset + Block < limit && Unsafe.Add(ref start, offset + Block) == Lf)
        {
            loneCrs &= ~(1UL << 63);
        }

        faults = (controls & ~crs & ~lfs) | loneCrs;
        if (requireCrLf)
        {
            ulong crBefore = (crs << 1) | (offset > 0 && Unsafe.Add(ref start, offset - 1) == Cr ? 1UL : 0);
            faults |= lfs & ~crBefore;
        }

        return lfs;
    }

    /// <summary>The control bytes (below 0x20, and DEL), CRs and LFs of the 64 bytes at <paramref name="block"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FullBlock(ref byte block, out ulong controls, out ulong crs, out ulong lfs)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<byte> bytes = Vector512.LoadUnsafe(ref block);
            controls = (Vector512.LessThan(bytes, Vector512.Create((byte)0x20)) | Vector512.Equals(bytes, Vector512.Create((byte)0x7F))).ExtractMostSignificantBits();
            crs = Vector512.Equals(bytes, Vector512.Create(Cr)).ExtractMostSignificantBits();
            lfs = Vector512.Equals(bytes, Vector512.Create(Lf)).ExtractMostSignificantBits();
            return;
        }

        controls = crs = lfs = 0;
        int step = Vector256.IsHardwareAccelerated ? 32 : 16;
        for (int at = 0; at < Block; at += step)
        {
            Masks(ref Unsafe.Add(ref block, at), out uint c, out uint r, out uint l);
            controls |= (ulong)c << at;
            crs |= (ulong)r << at;
            lfs |= (ulong)l << at;
        }
    }

    /// <summary>The masks of a whole input shorter than 64 bytes: overlapping 16-byte loads, two overlapping 8-byte reads under 16, byte by byte under 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ShortInput(ref byte start, int length, out ulong controls, out ulong crs, out ulong lfs)
    {
        controls = crs = lfs = 0;
        if (length is >= 8 and < 16 && Vector128.IsHardwareAccelerated)
        {
            // Bytes 0-7 and length-8 to length-1 in one vector; the second half's bits move to their offsets.
            Vector128<byte> pair = Vector128.Create(Unsafe.ReadUnaligned<ulong>(ref start), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, length - 8))).AsByte();
            uint c = (Vector128.LessThan(pair, Vector128.Create((byte)0x20)) | Vector128.Equals(pair, Vector128.Create((byte)0x7F))).ExtractMostSignificantBits();
            uint r = Vector128.Equals(pair, Vector128.Create(Cr)).ExtractMostSignificantBits();
            uint l = Vector128.Equals(pair, Vector128.Create(Lf)).ExtractMostSignificantBits();
            int high = length - 8;
            controls = (c & 0xFF) | ((ulong)(c >> 8) << high);
            crs = (r & 0xFF) | ((ulong)(r >> 8) << high);
            lfs = (l & 0xFF) | ((ulong)(l >> 8) << high);
            return;
        }

        if (length < 16 || !Vector128.IsHardwareAccelerated)
        {
            for (int i = 0; i < length; i++)
            {
                byte b = Unsafe.Add(ref start, i);
                ulong bit = 1UL << i;
                controls |= b < 0x20 || b == 0x7F ? bit : 0;
                crs |= b == Cr ? bit : 0;
                lfs |= b == Lf ? bit : 0;
            }

            return;
        }

        // Loads at 0, 16, 32 (as far as they fit) and one ending at the last byte; overlaps agree.
        for (int at = 0; ; at = Math.Min(at + 16, length - 16))
        {
            Masks128(ref Unsafe.Add(ref start, at), out uint c, out uint r, out uint l);
            controls |= (ulong)c << at;
            crs |= (ulong)r << at;
            lfs |= (ulong)l << at;
            if (at == length - 16)
            {
                return;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Masks(ref byte at, out uint controls, out uint crs, out uint lfs)
    {
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<byte> bytes = Vector256.LoadUnsafe(ref at);
            controls = (Vector256.LessThan(bytes, Vector256.Create((byte)0x20)) | Vector256.Equals(bytes, Vector256.Create((byte)0x7F))).ExtractMostSignificantBits();
            crs = Vector256.Equals(bytes, Vector256.Create(Cr)).ExtractMostSignificantBits();
            lfs = Vector256.Equals(bytes, Vector256.Create(Lf)).ExtractMostSignificantBits();
            return;
        }

        Masks128(ref at, out controls, out crs, out lfs);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Masks128(ref byte at, out uint controls, out uint crs, out uint lfs)
    {
        Vector128<byte> bytes = Vector128.LoadUnsafe(ref at);
        controls = (Vector128.LessThan(bytes, Vector128.Create((byte)0x20)) | Vector128.Equals(bytes, Vector128.Create((byte)0x7F))).ExtractMostSignificantBits();
        crs = Vector128.Equals(bytes, Vector128.Create(Cr)).ExtractMostSignificantBits();
        lfs = Vector128.Equals(bytes, Vector128.Create(Lf)).ExtractMostSignificantBits();
    }
}
