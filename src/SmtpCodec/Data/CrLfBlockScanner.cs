using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SmtpCodec.Data;

/// <summary>
/// Classifies 64 bytes of message data at once so that clean text (CRLF pairs only, no dot right
/// after a line break) is copied whole instead of byte by byte, and a block that is not clean is
/// walked from flagged byte to flagged byte with the mask of its one scan.
/// </summary>
internal static class CrLfBlockScanner
{
    /// <summary>The number of bytes one scan looks at.</summary>
    public const int BlockSize = 64;

    private const byte CarriageReturn = (byte)'\r';
    private const byte LineFeed = (byte)'\n';
    private const byte Dot = (byte)'.';

    /// <summary>The vector width the codecs use; tests switch it to run every path on one machine.</summary>
    private static ScanPath s_path = DefaultPath;

    /// <summary>The scan implementations, narrowest first.</summary>
    internal enum ScanPath : byte
    {
        Scalar = 0,
        Vector128,
        Vector256,
    }

    /// <summary>The widest path this machine accelerates.</summary>
    internal static ScanPath DefaultPath =>
        Vector256.IsHardwareAccelerated ? ScanPath.Vector256 : Vector128.IsHardwareAccelerated ? ScanPath.Vector128 : ScanPath.Scalar;

    /// <summary>
    /// The path the codecs take; read once per codec call, so switching costs nothing per byte.
    /// Internal: tests set it to run the property tests on the scalar and each vector path.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">The machine does not accelerate that width.</exception>
    internal static ScanPath Path
    {
        get => s_path;
        set
        {
            if (value > DefaultPath)
            {
                throw new PlatformNotSupportedException($"{value} is not accelerated on this machine.");
            }

            s_path = value;
        }
    }

    /// <summary>
    /// Copies whole clean 64-byte blocks from <paramref name="source"/> to <paramref name="destination"/>
    /// until a block is not clean or either side has less than a block left. Each block is loaded once
    /// and stored from the same registers. A block is clean when every CR is followed by LF inside it,
    /// every LF follows a CR inside it, and (when <paramref name="checkDots"/>) no '.' starts a line.
    /// </summary>
    /// <param name="source">The input.</param>
    /// <param name="destination">The output.</param>
    /// <param name="use256">Whether to load 32 bytes at a time (else 16).</param>
    /// <param name="checkDots">Whether a dot that starts a line makes a block dirty.</param>
    /// <param name="atLineStart">In: whether the first byte starts a line; out: whether the byte after the copy does.</param>
    /// <param name="flags">
    /// The flagged bytes of the block the copy stopped on (0 when it stopped for lack of room): a CR not
    /// followed by LF in the block (the block's last byte included), an LF not preceded by CR in the
    /// block (its first byte included), and a dot after a CR, an LF or at the line start.
    /// </param>
    /// <param name="lineFeeds">One bit per LF of the last block looked at (copied or not).</param>
    /// <returns>The number of bytes copied, a multiple of 64.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CopyCleanBlocks(ReadOnlySpan<byte> source, Span<byte> destination, bool use256, bool checkDots, ref bool atLineStart, out ulong flags, out ulong lineFeeds)
    {
        ref byte src = ref MemoryMarshal.GetReference(source);
        ref byte dst = ref MemoryMarshal.GetReference(destination);
        nuint end = (nuint)Math.Min(source.Length, destination.Length);
        nuint i = 0;
        ulong start = atLineStart ? 1UL : 0UL;
        ulong cr = 0;
        ulong lf = 0;
        ulong dot = 0;
        bool dirty = false;

        // Two loops rather than a width test per block; the clean test is the cheapest form, the flags are worked out once.
        if (use256)
        {
            while (end - i >= BlockSize)
            {
                Vector256<byte> low = Vector256.LoadUnsafe(ref src, i);
                Vector256<byte> high = Vector256.LoadUnsafe(ref src, i + 32);
                cr = Mask256(low, high, CarriageReturn);
                lf = Mask256(low, high, LineFeed);

                // Clean when the LFs are exactly the bytes after the CRs and no CR is the block's last byte.
                ulong anomalies = (lf ^ (cr << 1)) | (cr >> 63);
                if (checkDots)
                {
                    dot = Mask256(low, high, Dot);
                    anomalies |= dot & ((lf << 1) | start);
                }

                if (anomalies != 0)
                {
                    dirty = true;
                    break;
                }

                low.StoreUnsafe(ref dst, i);
                high.StoreUnsafe(ref dst, i + 32);
                start = lf >> 63;
                i += BlockSize;
            }
        }
        else
        {
            while (end - i >= BlockSize)
            {
                Vector128<byte> v0 = Vector128.LoadUnsafe(ref src, i);
                Vector128<byte> v1 = Vector128.LoadUnsafe(ref src, i + 16);
                Vector128<byte> v2 = Vector128.LoadUnsafe(ref src, i + 32);
                Vector128<byte> v3 = Vector128.LoadUnsafe(ref src, i + 48);
                cr = Mask128(v0, v1, v2, v3, CarriageReturn);
                lf = Mask128(v0, v1, v2, v3, LineFeed);
                ulong anomalies = (lf ^ (cr << 1)) | (cr >> 63);
                if (checkDots)
                {
                    dot = Mask128(v0, v1, v2, v3, Dot);
                    anomalies |= dot & ((lf << 1) | start);
                }

                if (anomalies != 0)
                {
                    dirty = true;
                    break;
                }

                v0.StoreUnsafe(ref dst, i);
                v1.StoreUnsafe(ref dst, i + 16);
                v2.StoreUnsafe(ref dst, i + 32);
                v3.StoreUnsafe(ref dst, i + 48);
                start = lf >> 63;
                i += BlockSize;
            }
        }

        flags = dirty ? Flags(cr, lf, dot, start) : 0;
        lineFeeds = lf;
        atLineStart = start != 0;
        return (int)i;
    }

    /// <summary>
    /// Counts the CRs, the LFs and the CRLF pairs of <paramref name="source"/> (a pair across two blocks included):
    /// a block's masks at a time on the vector paths, what is left byte by byte. The BDAT size of a chunk.
    /// </summary>
    /// <param name="source">The bytes.</param>
    /// <param name="carriageReturns">The number of CR bytes.</param>
    /// <param name="lineFeeds">The number of LF bytes.</param>
    /// <param name="pairs">The number of CR bytes directly followed by an LF.</param>
    public static void CountLineBreaks(ReadOnlySpan<byte> source, out int carriageReturns, out int lineFeeds, out int pairs)
    {
        ref byte src = ref MemoryMarshal.GetReference(source);
        nuint end = (nuint)source.Length;
        nuint i = 0;
        int cr = 0;
        int lf = 0;
        int crlf = 0;

        // 1 when the byte before the next one is a CR.
        ulong carry = 0;
        ScanPath path = s_path;
        if (path == ScanPath.Vector256)
        {
            while (end - i >= BlockSize)
            {
                Vector256<byte> low = Vector256.LoadUnsafe(ref src, i);
                Vector256<byte> high = Vector256.LoadUnsafe(ref src, i + 32);
                ulong crs = Mask256(low, high, CarriageReturn);
                ulong lfs = Mask256(low, high, LineFeed);
                cr += BitOperations.PopCount(crs);
                lf += BitOperations.PopCount(lfs);
                crlf += BitOperations.PopCount(lfs & ((crs << 1) | carry));
                carry = crs >> 63;
                i += BlockSize;
            }
        }
        else if (path == ScanPath.Vector128)
        {
            while (end - i >= BlockSize)
            {
                Vector128<byte> v0 = Vector128.LoadUnsafe(ref src, i);
                Vector128<byte> v1 = Vector128.LoadUnsafe(ref src, i + 16);
                Vector128<byte> v2 = Vector128.LoadUnsafe(ref src, i + 32);
                Vector128<byte> v3 = Vector128.LoadUnsafe(ref src, i + 48);
                ulong crs = Mask128(v0, v1, v2, v3, CarriageReturn);
                ulong lfs = Mask128(v0, v1, v2, v3, LineFeed);
                cr += BitOperations.PopCount(crs);
                lf += BitOperations.PopCount(lfs);
                crlf += BitOperations.PopCount(lfs & ((crs << 1) | carry));
                carry = crs >> 63;
                i += BlockSize;
            }
        }

        for (; i < end; i++)
        {
            byte b = Unsafe.Add(ref src, i);
            if (b == LineFeed)
            {
                lf++;
                crlf += (int)carry;
            }

            cr += b == CarriageReturn ? 1 : 0;
            carry = b == CarriageReturn ? 1UL : 0UL;
        }

        carriageReturns = cr;
        lineFeeds = lf;
        pairs = crlf;
    }

    /// <summary>
    /// Copies a run shorter than a block. With <paramref name="overCopy"/> (a block of input beyond the run
    /// is readable and a block of output beyond it writable) one fixed 64-byte move does it, writing junk
    /// after the run that later output overwrites or that lies past bytesWritten: no branch on the length.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyRun(ref byte destination, ref byte source, int length, bool overCopy)
    {
        if (overCopy)
        {
            Unsafe.CopyBlockUnaligned(ref destination, ref source, BlockSize);
        }
        else
        {
            CopyRun(ref destination, ref source, length);
        }
    }

    /// <summary>
    /// Copies a run shorter than a block with at most four overlapping fixed-size moves, reading and
    /// writing only its own bytes: cheaper than a memmove call for the short runs between flagged bytes.
    /// </summary>
    /// <param name="destination">The first byte to write.</param>
    /// <param name="source">The first byte to read.</param>
    /// <param name="length">The run's length, 0 to 63.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyRun(ref byte destination, ref byte source, int length)
    {
        nuint n = (nuint)length;
        if (n >= 16)
        {
            Vector128<byte> head = Vector128.LoadUnsafe(ref source);
            Vector128<byte> tail = Vector128.LoadUnsafe(ref source, n - 16);
            if (n > 32)
            {
                Vector128<byte> second = Vector128.LoadUnsafe(ref source, 16);
                Vector128<byte> beforeTail = Vector128.LoadUnsafe(ref source, n - 32);
                second.StoreUnsafe(ref destination, 16);
                beforeTail.StoreUnsafe(ref destination, n - 32);
            }

            head.StoreUnsafe(ref destination);
            tail.StoreUnsafe(ref destination, n - 16);
        }
        else if (n >= 8)
        {
            ulong head = Unsafe.ReadUnaligned<ulong>(ref source);
            ulong tail = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, n - 8));
            Unsafe.WriteUnaligned(ref destination, head);
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, n - 8), tail);
        }
        else if (n >= 4)
        {
            uint head = Unsafe.ReadUnaligned<uint>(ref source);
            uint tail = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref source, n - 4));
            Unsafe.WriteUnaligned(ref destination, head);
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, n - 4), tail);
        }
        else if (n != 0)
        {
            byte first = source;
            byte middle = Unsafe.Add(ref source, n >> 1);
            byte last = Unsafe.Add(ref source, n - 1);
            destination = first;
            Unsafe.Add(ref destination, n >> 1) = middle;
            Unsafe.Add(ref destination, n - 1) = last;
        }
    }

    /// <summary>
    /// The bytes a plain copy would get wrong: a lone CR or LF (RFC 5321 section 2.3.8) and a dot that
    /// starts a line (RFC 5321 section 4.5.2). None flagged means the block is clean.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Flags(ulong cr, ulong lf, ulong dot, ulong start) =>
        (lf & ~(cr << 1)) | (cr & ~(lf >> 1)) | (dot & (((cr | lf) << 1) | start));

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
