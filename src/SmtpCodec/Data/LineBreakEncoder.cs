using System;
using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SmtpCodec.Data;

/// <summary>
/// The streaming core shared by <see cref="DotStuffer"/> and <see cref="BdatLineBreakNormalizer"/>:
/// every line break (CRLF, lone CR, lone LF) becomes CRLF and, when asked, a dot that starts a line
/// is doubled. It keeps no pending output between calls: a CR is written as CRLF at once and an LF
/// right after it (in this chunk or the next) is dropped.
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
        int pairs = source.Count("\r\n"u8);
        long length = (long)source.Length + (source.Count(CarriageReturn) - pairs) + (source.Count(LineFeed) - pairs);
        return _afterCarriageReturn && source[0] == LineFeed ? length - 2 : length;
    }

    public void Reset()
    {
        _midLine = false;
        _afterCarriageReturn = false;
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
        OperationStatus status = OperationStatus.Done;
        bool vectorize = CrLfBlockScanner.IsSupported;

        while (i < sourceLength)
        {
            if (!rejectLongLines && vectorize)
            {
                // Without the line-length check, runs of clean blocks need no bookkeeping beyond "at line start".
                bool atLineStart = !midLine;
                int copied = CrLfBlockScanner.CopyCleanBlocks(source[i..], destination[j..], stuffDots, ref atLineStart);
                if (copied > 0)
                {
                    i += copied;
                    j += copied;
                    midLine = !atLineStart;
                    lineLength = midLine ? 1 : 0;
                    afterCarriageReturn = false;
                    if (i == sourceLength)
                    {
                        break;
                    }
                }
            }

            if (vectorize
                && sourceLength - i >= CrLfBlockScanner.BlockSize
                && destinationLength - j >= CrLfBlockScanner.BlockSize)
            {
                int clean = CrLfBlockScanner.CleanPrefixLength(ref Unsafe.Add(ref src, i), !midLine, stuffDots, out ulong lineFeeds);
                ulong prefixLineFeeds = clean == CrLfBlockScanner.BlockSize ? lineFeeds : lineFeeds & ((1UL << clean) - 1);

                // The prefix's first line continues the current one; later ones are shorter than a block, so under the limit.
                int firstLine = prefixLineFeeds == 0 ? clean : BitOperations.TrailingZeroCount(prefixLineFeeds) - 1;
                if (clean > 0 && lineLength + firstLine <= limit)
                {
                    if (clean == CrLfBlockScanner.BlockSize)
                    {
                        // A whole clean block: a fixed-size copy the JIT turns into vector moves.
                        Unsafe.CopyBlockUnaligned(ref Unsafe.Add(ref dst, j), ref Unsafe.Add(ref src, i), CrLfBlockScanner.BlockSize);
                    }
                    else
                    {
                        Unsafe.CopyBlockUnaligned(ref Unsafe.Add(ref dst, j), ref Unsafe.Add(ref src, i), (uint)clean);
                    }

                    lineLength = prefixLineFeeds == 0
                        ? lineLength + clean
                        : clean - (64 - BitOperations.LeadingZeroCount(prefixLineFeeds));
                    midLine = lineLength > 0;

                    // A clean prefix never ends with a CR, so the next byte is not an LF to drop.
                    afterCarriageReturn = false;
                    i += clean;
                    j += clean;
                    if (clean == CrLfBlockScanner.BlockSize)
                    {
                        continue;
                    }
                }
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
                if (destinationLength - j < 2)
                {
                    status = OperationStatus.DestinationTooSmall;
                    break;
                }

                Unsafe.Add(ref dst, j) = CarriageReturn;
                Unsafe.Add(ref dst, j + 1) = LineFeed;
                j += 2;
                afterCarriageReturn = b == CarriageReturn;
                midLine = false;
                lineLength = 0;
                i++;
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

            if (destinationLength - j < needed)
            {
                status = OperationStatus.DestinationTooSmall;
                break;
            }

            // A dot that starts a line is doubled (RFC 5321 section 4.5.2).
            Unsafe.Add(ref dst, j) = b;
            if (doubled)
            {
                Unsafe.Add(ref dst, j + 1) = Dot;
            }

            j += needed;
            lineLength += needed;
            midLine = true;
            i++;
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
}
