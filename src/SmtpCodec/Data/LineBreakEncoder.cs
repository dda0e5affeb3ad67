using System;
using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SmtpCodec.Data;

/// <summary>
/// The streaming core shared by <see cref="DotStuffer"/> and <see cref="BdatLineBreakNormalizer"/>:
/// every line break (CRLF, lone CR, lone LF) becomes CRLF and, when asked, a dot that starts a line
/// is doubled. A CR is written as CRLF at once and an LF right after it (in this chunk or the next) is
/// dropped; the only output kept between calls is the second byte of a pair a one-byte destination cut.
/// </summary>
internal struct LineBreakEncoder
{
    private const byte CarriageReturn = (byte)'\r';
    private const byte LineFeed = (byte)'\n';
    private const byte Dot = (byte)'.';

    /// <summary>The longest line, CRLF excluded, that the opt-in check lets through (RFC 5321 section 4.5.3.1.6).</summary>
    public const int MaxLineLength = 998;

    private bool _midLine;
    private bool _afterCarriageReturn;
    private int _lineLength;

    // The second byte of a CRLF or of a doubled dot when the destination had room for the first only; 0 when none.
    private byte _pending;
    private long _position;

    /// <summary>Whether the output so far ends with a line break (or nothing has been written).</summary>
    public readonly bool AtLineStart => !_midLine;

    /// <summary>How many input bytes were consumed so far.</summary>
    public readonly long Position => _position;

    /// <summary>The offset of the byte that broke the line-length limit.</summary>
    public long ErrorOffset { readonly get; private set; }

    public static int GetMaxEncodedLength(int sourceLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sourceLength);

        // Worst case: every byte a lone LF (or a dot after one), written as two bytes.
        long length = 2L * sourceLength;
        return length <= Array.MaxLength ? (int)length : throw new ArgumentOutOfRangeException(nameof(sourceLength));
    }

    /// <summary>The exact length <see cref="Encode"/> would write for <paramref name="source"/> without dot-stuffing, state unchanged.</summary>
    public readonly long GetNormalizedLength(ReadOnlySpan<byte> source)
    {
        if (source.IsEmpty)
        {
            return 0;
        }

        // A CRLF stays two bytes; a lone CR or LF grows to two; an LF completing a CR of the previous chunk vanishes.
        CrLfBlockScanner.CountLineBreaks(source, out int carriageReturns, out int lineFeeds, out int pairs);
        long length = (long)source.Length + (carriageReturns - pairs) + (lineFeeds - pairs);
        return _afterCarriageReturn && source[0] == LineFeed ? length - 2 : length;
    }

    /// <summary>The input bytes encoded per buffer request of <see cref="EncodeInPieces"/>.</summary>
    public const int PieceLength = 16 * 1024;

    // Above this many flagged bytes in a 64-byte block, one pass over the block beats a run copy per flag.
    private const int DenseFlags = 12;

    public void Reset()
    {
        _midLine = false;
        _afterCarriageReturn = false;
        _pending = 0;
        _lineLength = 0;
        _position = 0;
        ErrorOffset = 0;
    }

    public OperationStatus Encode(
        ReadOnlySpan<byte> source,
        Span<byte> destination,
        bool stuffDots,
        bool rejectLongLines,
        out int bytesConsumed,
        out int bytesWritten)
    {
        ref byte src = ref MemoryMarshal.GetReference(source);
        ref byte dst = ref MemoryMarshal.GetReference(destination);
        int sourceLength = source.Length;
        int destinationLength = destination.Length;
        int limit = rejectLongLines ? MaxLineLength : int.MaxValue;
        bool midLine = _midLine;
        bool afterCarriageReturn = _afterCarriageReturn;
        int lineLength = _lineLength;
        int i = 0;
        int j = 0;
        if (_pending != 0)
        {
            // Finish the pair a one-byte destination cut, so any destination size makes progress.
            if (destinationLength == 0)
            {
                bytesConsumed = 0;
                bytesWritten = 0;
                return OperationStatus.DestinationTooSmall;
            }

            dst = _pending;
            _pending = 0;
            j = 1;
        }
        OperationStatus status = OperationStatus.Done;
        CrLfBlockScanner.ScanPath path = CrLfBlockScanner.Path;
        bool vectorize = path != CrLfBlockScanner.ScanPath.Scalar;
        bool use256 = path == CrLfBlockScanner.ScanPath.Vector256;

        // The byte-wise path runs up to here before blocks are tried again, so no byte is scanned twice.
        int scalarEnd = 0;

        while (i < sourceLength)
        {
            // A block may write twice its size (every byte a lone LF or a leading dot).
            if (vectorize
                && i >= scalarEnd
                && sourceLength - i >= CrLfBlockScanner.BlockSize
                && destinationLength - j >= 2 * CrLfBlockScanner.BlockSize)
            {
                bool atLineStart = !midLine;
                if (!rejectLongLines)
                {
                    // Without the line-length check, runs of clean blocks need no bookkeeping beyond "at line start".
                    int copied = CrLfBlockScanner.CopyCleanBlocks(source[i..], destination[j..], use256, stuffDots, ref atLineStart, out ulong flags, out _);
                    if (copied > 0)
                    {
                        i += copied;
                        j += copied;
                        midLine = !atLineStart;
                        lineLength = midLine ? 1 : 0;
                        afterCarriageReturn = false;
                    }

                    if (flags == 0)
                    {
                        // Stopped for lack of room on either side: the rest goes byte by byte.
                        continue;
                    }

                    if (destinationLength - j < 2 * CrLfBlockScanner.BlockSize)
                    {
                        scalarEnd = i + CrLfBlockScanner.BlockSize;
                        continue;
                    }

                    // With a block to spare on both sides, runs are copied as fixed 64-byte moves (see CopyRun).
                    bool overCopy = sourceLength - i >= 2 * CrLfBlockScanner.BlockSize && destinationLength - j >= 3 * CrLfBlockScanner.BlockSize;
                    j = BitOperations.PopCount(flags) > DenseFlags
                        ? EncodeDenseBlock(ref Unsafe.Add(ref src, i), ref dst, j, flags, afterCarriageReturn)
                        : EncodeFlaggedBlock(ref Unsafe.Add(ref src, i), ref dst, j, flags, afterCarriageReturn, overCopy);
                    byte last = Unsafe.Add(ref src, i + CrLfBlockScanner.BlockSize - 1);

                    // A CR ending the block is flagged and written as CRLF, so an LF starting the next is dropped.
                    afterCarriageReturn = last == CarriageReturn;
                    midLine = last is not (CarriageReturn or LineFeed);
                    lineLength = midLine ? 1 : 0;
                    i += CrLfBlockScanner.BlockSize;
                    continue;
                }

                // With the check, one clean block at a time, committed only when its first line keeps within the limit.
                int clean = CrLfBlockScanner.CopyCleanBlocks(
                    source.Slice(i, CrLfBlockScanner.BlockSize), destination[j..], use256, stuffDots, ref atLineStart, out _, out ulong lineFeeds);

                // The block's first line continues the current one; later ones are shorter than a block, so under the limit.
                int firstLine = lineFeeds == 0 ? CrLfBlockScanner.BlockSize : BitOperations.TrailingZeroCount(lineFeeds) - 1;
                if (clean == CrLfBlockScanner.BlockSize && lineLength + firstLine <= limit)
                {
                    lineLength = lineFeeds == 0 ? lineLength + CrLfBlockScanner.BlockSize : BitOperations.LeadingZeroCount(lineFeeds);
                    midLine = lineLength > 0;

                    // A clean block never ends with a CR, so the next byte is not an LF to drop.
                    afterCarriageReturn = false;
                    i += CrLfBlockScanner.BlockSize;
                    j += CrLfBlockScanner.BlockSize;
                    continue;
                }

                scalarEnd = i + CrLfBlockScanner.BlockSize;
            }

            byte b = Unsafe.Add(ref src, i);
            if (b == LineFeed && afterCarriageReturn)
            {
                // The LF of a CRLF whose CR was already written as CRLF.
                afterCarriageReturn = false;
                i++;
                continue;
            }

            if (b is CarriageReturn or LineFeed)
            {
                // Every line break becomes CRLF: no bare CR or LF reaches the wire (RFC 5321 section 2.3.8).
                if (destinationLength == j)
                {
                    status = OperationStatus.DestinationTooSmall;
                    break;
                }

                Unsafe.Add(ref dst, j++) = CarriageReturn;
                if (destinationLength == j)
                {
                    _pending = LineFeed;
                    status = OperationStatus.DestinationTooSmall;
                }
                else
                {
                    Unsafe.Add(ref dst, j++) = LineFeed;
                }

                afterCarriageReturn = b == CarriageReturn;
                midLine = false;
                lineLength = 0;
                i++;
                if (_pending != 0)
                {
                    break;
                }

                continue;
            }

            afterCarriageReturn = false;
            bool doubled = stuffDots && b == Dot && !midLine;
            int needed = doubled ? 2 : 1;
            if (lineLength + needed > limit)
            {
                ErrorOffset = _position + i;
                status = OperationStatus.InvalidData;
                break;
            }

            if (destinationLength == j)
            {
                status = OperationStatus.DestinationTooSmall;
                break;
            }

            // A dot that starts a line is doubled (RFC 5321 section 4.5.2).
            Unsafe.Add(ref dst, j++) = b;
            lineLength += needed;
            midLine = true;
            i++;
            if (doubled)
            {
                if (destinationLength == j)
                {
                    _pending = Dot;
                    status = OperationStatus.DestinationTooSmall;
                    break;
                }

                Unsafe.Add(ref dst, j++) = Dot;
            }
        }

        _midLine = midLine;
        _afterCarriageReturn = afterCarriageReturn;

        // Without the limit the count only matters as "is the line empty"; keep it from overflowing on huge lines.
        _lineLength = rejectLongLines ? lineLength : Math.Min(lineLength, MaxLineLength + 1);
        _position += i;
        bytesConsumed = i;
        bytesWritten = j;
        return status;
    }

    /// <summary>
    /// Encodes into a buffer writer, in pieces that keep the requested buffer (twice the piece at worst)
    /// small whatever the input size; stops at the first InvalidData.
    /// </summary>
    public OperationStatus EncodeInPieces(
        ReadOnlySpan<byte> source,
        IBufferWriter<byte> destination,
        bool stuffDots,
        bool rejectLongLines,
        out long bytesWritten)
    {
        bytesWritten = 0;
        while (!source.IsEmpty)
        {
            int pieceLength = Math.Min(source.Length, PieceLength);
            Span<byte> span = destination.GetSpan(GetMaxEncodedLength(pieceLength));
            OperationStatus status = Encode(source[..pieceLength], span, stuffDots, rejectLongLines, out int consumed, out int written);
            destination.Advance(written);
            bytesWritten += written;
            if (status == OperationStatus.InvalidData)
            {
                return status;
            }

            source = source[consumed..];
        }

        return OperationStatus.Done;
    }

    /// <summary>
    /// Writes a 64-byte block that is not clean, jumping from flagged byte to flagged byte of its one
    /// scan: the bytes between are copied whole, a lone CR or LF becomes CRLF (RFC 5321 section 2.3.8),
    /// a dot that starts a line is doubled (RFC 5321 section 4.5.2). The destination has room for 128 bytes.
    /// </summary>
    /// <returns>The destination offset after the block.</returns>
    /// <summary>
    /// A block with many flagged bytes (dense line breaks, e.g. empty lines): a run copy per flag costs more than
    /// going through the 64 bytes once, each written as itself or as its pair, without a branch per byte.
    /// The destination has room for twice the block (the caller checked), so the second byte is always writable.
    /// </summary>
    private static int EncodeDenseBlock(ref byte block, ref byte dst, int j, ulong flags, bool afterCarriageReturn)
    {
        if (flags == ulong.MaxValue && !(afterCarriageReturn && block == LineFeed)
            && !MemoryMarshal.CreateReadOnlySpan(ref block, CrLfBlockScanner.BlockSize).Contains(Dot))
        {
            // Every byte a lone CR or LF (a run of empty lines): 64 CRLFs, stored a vector at a time.
            Vector128<byte> pairs = Vector128.Create(CarriageReturn, LineFeed, CarriageReturn, LineFeed, CarriageReturn, LineFeed, CarriageReturn, LineFeed,
                CarriageReturn, LineFeed, CarriageReturn, LineFeed, CarriageReturn, LineFeed, CarriageReturn, LineFeed);
            for (int at = 0; at < 2 * CrLfBlockScanner.BlockSize; at += Vector128<byte>.Count)
            {
                pairs.StoreUnsafe(ref Unsafe.Add(ref dst, j + at));
            }

            return j + (2 * CrLfBlockScanner.BlockSize);
        }

        int k = 0;
        if ((flags & 1) != 0 && block == LineFeed && afterCarriageReturn)
        {
            // The LF of a CRLF whose CR, the previous block's last byte, was already written as CRLF.
            k = 1;
        }

        for (; k < CrLfBlockScanner.BlockSize; k++)
        {
            byte b = Unsafe.Add(ref block, k);
            int flagged = (int)(flags >> k) & 1;
            bool dot = b == Dot;
            Unsafe.Add(ref dst, j) = flagged == 0 ? b : dot ? Dot : CarriageReturn;
            Unsafe.Add(ref dst, j + 1) = dot ? Dot : LineFeed;
            j += 1 + flagged;
        }

        return j;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int EncodeFlaggedBlock(ref byte block, ref byte dst, int j, ulong flags, bool afterCarriageReturn, bool overCopy)
    {
        int from = 0;
        do
        {
            int at = BitOperations.TrailingZeroCount(flags);
            flags &= flags - 1;
            CrLfBlockScanner.CopyRun(ref Unsafe.Add(ref dst, j), ref Unsafe.Add(ref block, from), at - from, overCopy);
            j += at - from;
            from = at + 1;
            byte b = Unsafe.Add(ref block, at);
            if (b == LineFeed && at == 0 && afterCarriageReturn)
            {
                // The LF of a CRLF whose CR, the previous block's last byte, was already written as CRLF.
                continue;
            }

            bool dot = b == Dot;
            Unsafe.Add(ref dst, j) = dot ? Dot : CarriageReturn;
            Unsafe.Add(ref dst, j + 1) = dot ? Dot : LineFeed;
            j += 2;
        }
        while (flags != 0);

        CrLfBlockScanner.CopyRun(ref Unsafe.Add(ref dst, j), ref Unsafe.Add(ref block, from), CrLfBlockScanner.BlockSize - from, overCopy);
        return j + CrLfBlockScanner.BlockSize - from;
    }
}
