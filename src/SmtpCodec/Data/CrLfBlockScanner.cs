using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SmtpCodec.Data;

/// <summary>
/// Classifies 64 bytes of message data at once so that clean text (CRLF pairs only, no dot right
/// after a line break) is copied whole instead of byte by byte.
/// </summary>
internal static class CrLfBlockScanner
{
    /// <summary>The number of bytes one scan looks at.</summary>
    public const int BlockSize = 64;

    private const byte CarriageReturn = (byte)'\r';
    private const byte LineFeed = (byte)'\n';
    private const byte Dot = (byte)'.';

    /// <summary>Whether the block scan is worth using on this machine.</summary>
    public static bool IsSupported => Vector128.IsHardwareAccelerated;

    /// <summary>
    /// Returns how many of the 64 bytes at <paramref name="block"/> form a clean prefix: every CR is
    /// followed by LF inside the block, every LF follows a CR, and (when <paramref name="checkDots"/>)
    /// no '.' starts a line. <paramref name="lineFeeds"/> gets one bit per LF of the block.
    /// </summary>
    /// <param name="block">The first of 64 readable bytes.</param>
    /// <param name="atLineStart">Whether the first byte starts a line (a dot there is not clean).</param>
    /// <param name="checkDots">Whether a dot at the start of a line ends the clean prefix.</param>
    /// <param name="lineFeeds">Bit i set when byte i is LF.</param>
    /// <returns>The length of the clean prefix, 0 to 64.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CleanPrefixLength(ref byte block, bool atLineStart, bool checkDots, out ulong lineFeeds)
    {
        ulong cr;
        ulong lf;
        ulong dots = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<byte> low = Vector256.LoadUnsafe(ref block);
            Vector256<byte> high = Vector256.LoadUnsafe(ref block, 32);
            cr = Mask256(low, high, CarriageReturn);
            lf = Mask256(low, high, LineFeed);
            if (checkDots && (lf != 0 || atLineStart))
            {
                dots = Mask256(low, high, Dot);
            }
        }
        else
        {
            Vector128<byte> v0 = Vector128.LoadUnsafe(ref block);
            Vector128<byte> v1 = Vector128.LoadUnsafe(ref block, 16);
            Vector128<byte> v2 = Vector128.LoadUnsafe(ref block, 32);
            Vector128<byte> v3 = Vector128.LoadUnsafe(ref block, 48);
            cr = Mask128(v0, v1, v2, v3, CarriageReturn);
            lf = Mask128(v0, v1, v2, v3, LineFeed);
            if (checkDots && (lf != 0 || atLineStart))
            {
                dots = Mask128(v0, v1, v2, v3, Dot);
            }
        }

        lineFeeds = lf;

        // A CR must be followed by LF inside the block (so a CR in the last byte goes to the byte-wise
        // path) and an LF must follow a CR: anything else is a lone line break (RFC 5321 section 2.3.8).
        // A dot that starts a line is doubled on the wire (RFC 5321 section 4.5.2).
        ulong anomalies = (lf & ~(cr << 1)) | (cr & ~(lf >> 1)) | (dots & ((lf << 1) | (atLineStart ? 1UL : 0UL)));
        return anomalies == 0 ? BlockSize : BitOperations.TrailingZeroCount(anomalies);
    }

    /// <summary>
    /// Copies whole clean 64-byte blocks (CRLF pairs only, no dot starting a line when
    /// <paramref name="checkDots"/>) from <paramref name="source"/> to <paramref name="destination"/>
    /// until a block is not clean or either side has less than a block left. Each block is loaded
    /// once and stored from the same registers.
    /// </summary>
    /// <param name="source">The input.</param>
    /// <param name="destination">The output.</param>
    /// <param name="checkDots">Whether a dot that starts a line stops the copy.</param>
    /// <param name="atLineStart">In: whether the first byte starts a line; out: whether the byte after the copy does.</param>
    /// <returns>The number of bytes copied, a multiple of 64.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CopyCleanBlocks(ReadOnlySpan<byte> source, Span<byte> destination, bool checkDots, ref bool atLineStart)
    {
        if (!Vector256.IsHardwareAccelerated)
        {
            return 0;
        }

        ref byte src = ref MemoryMarshal.GetReference(source);
        ref byte dst = ref MemoryMarshal.GetReference(destination);
        nuint end = (nuint)Math.Min(source.Length, destination.Length);
        nuint i = 0;
        ulong start = atLineStart ? 1UL : 0UL;
        while (end - i >= BlockSize)
        {
            Vector256<byte> low = Vector256.LoadUnsafe(ref src, i);
            Vector256<byte> high = Vector256.LoadUnsafe(ref src, i + 32);
            ulong cr = Mask256(low, high, CarriageReturn);
            ulong lf = Mask256(low, high, LineFeed);

            // Clean when the LFs are exactly the bytes after the CRs and no CR is the block's last byte.
            ulong anomalies = (lf ^ (cr << 1)) | (cr >> 63);
            if (checkDots)
            {
                anomalies |= Mask256(low, high, Dot) & ((lf << 1) | start);
            }

            if (anomalies != 0)
            {
                break;
            }

            low.StoreUnsafe(ref dst, i);
            high.StoreUnsafe(ref dst, i + 32);
            start = lf >> 63;
            i += BlockSize;
        }

        atLineStart = start != 0;
        return (int)i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mask256(Vector256<byte> low, Vector256<byte> high, byte value)
    {
        Vector256<byte> needle = Vector256.Create(value);
        return Vector256.Equals(low, needle).ExtractMostSignificantBits()
            | ((ulong)Vector256.Equals(high, needle).ExtractMostSignificantBits() << 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mask128(Vector128<byte> v0, Vector128<byte> v1, Vector128<byte> v2, Vector128<byte> v3, byte value)
    {
        Vector128<byte> needle = Vector128.Create(value);
        return Vector128.Equals(v0, needle).ExtractMostSignificantBits()
            | ((ulong)Vector128.Equals(v1, needle).ExtractMostSignificantBits() << 16)
            | ((ulong)Vector128.Equals(v2, needle).ExtractMostSignificantBits() << 32)
            | ((ulong)Vector128.Equals(v3, needle).ExtractMostSignificantBits() << 48);
    }
}
