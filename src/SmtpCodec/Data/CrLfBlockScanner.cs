using System.Numerics;
using System.Runtime.CompilerServices;
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
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<byte> low = Vector256.LoadUnsafe(ref block);
            Vector256<byte> high = Vector256.LoadUnsafe(ref block, 32);
            cr = Vector256.Equals(low, Vector256.Create(CarriageReturn)).ExtractMostSignificantBits()
                | ((ulong)Vector256.Equals(high, Vector256.Create(CarriageReturn)).ExtractMostSignificantBits() << 32);
            lf = Vector256.Equals(low, Vector256.Create(LineFeed)).ExtractMostSignificantBits()
                | ((ulong)Vector256.Equals(high, Vector256.Create(LineFeed)).ExtractMostSignificantBits() << 32);
        }
        else
        {
            cr = Mask128(ref block, CarriageReturn);
            lf = Mask128(ref block, LineFeed);
        }

        lineFeeds = lf;
        ulong startsOfLines = (lf << 1) | (atLineStart ? 1UL : 0UL);

        // A CR must be followed by LF inside the block (so a CR in the last byte goes to the byte-wise
        // path) and an LF must follow a CR: anything else is a lone line break (RFC 5321 section 2.3.8).
        ulong anomalies = (lf & ~(cr << 1)) | (cr & ~(lf >> 1));
        if (checkDots && startsOfLines != 0)
        {
            ulong dots = Vector256.IsHardwareAccelerated
                ? Vector256.Equals(Vector256.LoadUnsafe(ref block), Vector256.Create(Dot)).ExtractMostSignificantBits()
                    | ((ulong)Vector256.Equals(Vector256.LoadUnsafe(ref block, 32), Vector256.Create(Dot)).ExtractMostSignificantBits() << 32)
                : Mask128(ref block, Dot);

            // A dot that starts a line is doubled on the wire (RFC 5321 section 4.5.2).
            anomalies |= dots & startsOfLines;
        }

        return anomalies == 0 ? BlockSize : BitOperations.TrailingZeroCount(anomalies);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mask128(ref byte block, byte value)
    {
        Vector128<byte> needle = Vector128.Create(value);
        return Vector128.Equals(Vector128.LoadUnsafe(ref block), needle).ExtractMostSignificantBits()
            | ((ulong)Vector128.Equals(Vector128.LoadUnsafe(ref block, 16), needle).ExtractMostSignificantBits() << 16)
            | ((ulong)Vector128.Equals(Vector128.LoadUnsafe(ref block, 32), needle).ExtractMostSignificantBits() << 32)
            | ((ulong)Vector128.Equals(Vector128.LoadUnsafe(ref block, 48), needle).ExtractMostSignificantBits() << 48);
    }
}
