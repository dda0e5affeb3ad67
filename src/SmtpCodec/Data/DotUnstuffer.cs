using System;
using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SmtpCodec.Protocol;

namespace SmtpCodec.Data;

/// <summary>
/// Decodes DATA as a receiver does (RFC 5321 section 4.5.2), streaming: removes the dot that a
/// sender doubled at the start of a line and finds the end of data, which only CRLF <c>.</c> CRLF
/// marks (the very start of the data counts as after a CRLF), across chunk boundaries. A CR not
/// followed by LF or an LF not preceded by CR is an error, as hardened servers treat it (SMTP
/// smuggling). The content handed back keeps its CRLFs, including the one before the terminator.
/// Allocates nothing.
/// </summary>
/// <remarks>A mutable struct: keep it in a field or a local and pass it by reference.</remarks>
public partial struct DotUnstuffer
{
    private const byte CarriageReturn = (byte)'\r';
    private const byte LineFeed = (byte)'\n';
    private const byte Dot = (byte)'.';

    private readonly long _maxContentLength;
    private State _state;
    private long _position;
    private long _contentLength;

    /// <summary>Creates an unstuffer that refuses content longer than a limit.</summary>
    /// <param name="maxContentLength">
    /// The most content bytes accepted (for example the SIZE the server announced, RFC 1870 section 6);
    /// more is <see cref="SmtpCodecError.MessageTooLarge"/>. A default instance has no limit.
    /// </param>
    public DotUnstuffer(long maxContentLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxContentLength);
        _maxContentLength = maxContentLength;
        HasContentLimit = true;
    }

    /// <summary>Whether content beyond a limit is refused (see the constructor).</summary>
    public bool HasContentLimit { get; }

    /// <summary>How many content bytes were written since the start of the data.</summary>
    public readonly long ContentLength => _contentLength;

    private enum State : byte
    {
        LineStart = 0,
        LineStartDot,
        DotCarriageReturn,
        InLine,
        InLineCarriageReturn,
        LineFeedPending,
        Completed,
        Failed,
    }

    /// <summary>How many input bytes were consumed since the start of the data (terminator included once found).</summary>
    public readonly long BytesConsumed => _position;

    /// <summary>Whether the terminator has been found.</summary>
    public readonly bool IsCompleted => _state == State.Completed;

    /// <summary>The error of the call that returned <see cref="OperationStatus.InvalidData"/>, else None.</summary>
    public SmtpCodecError Error { readonly get; private set; }

    /// <summary>The offset in the data (from its first byte) where <see cref="Error"/> was found.</summary>
    public long ErrorOffset { readonly get; private set; }

    /// <summary>Forgets the data so far; the next call starts new data.</summary>
    public void Reset()
    {
        _state = State.LineStart;
        _position = 0;
        _contentLength = 0;
        Error = SmtpCodecError.None;
        ErrorOffset = 0;
    }

    /// <summary>
    /// Unstuffs a chunk of data into a span. A CR is held until the next byte shows it ends a line, so the
    /// content never holds a bare CR; a call can therefore write one byte more than it consumed (the CR
    /// consumed before), and over the whole data the content is never longer than the input.
    /// </summary>
    /// <param name="source">The next bytes received after the 354 reply.</param>
    /// <param name="destination">Where the content goes; bytes past <paramref name="bytesWritten"/> may be overwritten (scratch for block copies).</param>
    /// <param name="bytesConsumed">How many bytes of <paramref name="source"/> were consumed; on Done the bytes after the terminator are left unread.</param>
    /// <param name="bytesWritten">How many content bytes were written.</param>
    /// <param name="isFinalBlock">Whether no more input follows: data without a terminator is then an error.</param>
    /// <returns>
    /// Done when the terminator was found; NeedMoreData when the input ran out before it (everything
    /// was consumed); DestinationTooSmall when <paramref name="destination"/> filled up first;
    /// InvalidData on a bare CR or LF, a missing terminator in the final block, or content beyond the
    /// limit (see <see cref="Error"/>).
    /// </returns>
    public OperationStatus Unstuff(
        ReadOnlySpan<byte> source,
        Span<byte> destination,
        out int bytesConsumed,
        out int bytesWritten,
        bool isFinalBlock)
    {
        long allowance = _maxContentLength - _contentLength;
        bool limited = HasContentLimit && allowance < destination.Length;
        OperationStatus status = UnstuffCore(source, limited ? destination[..(int)allowance] : destination, out bytesConsumed, out bytesWritten, isFinalBlock);
        _contentLength += bytesWritten;
        if (status == OperationStatus.DestinationTooSmall && limited)
        {
            // Only the limit stood in the way: the next content byte is one too many (a pending LF was consumed already).
            ErrorOffset = _state == State.LineFeedPending ? _position - 1 : _position;
            _state = State.Failed;
            Error = SmtpCodecError.MessageTooLarge;
            return OperationStatus.InvalidData;
        }

        return status;
    }

    private OperationStatus UnstuffCore(
        ReadOnlySpan<byte> source,
        Span<byte> destination,
        out int bytesConsumed,
        out int bytesWritten,
        bool isFinalBlock)
    {
        if (_state == State.Completed)
        {
            bytesConsumed = 0;
            bytesWritten = 0;
            return OperationStatus.Done;
        }

        if (_state == State.Failed)
        {
            bytesConsumed = 0;
            bytesWritten = 0;
            return OperationStatus.InvalidData;
        }

        ref byte src = ref MemoryMarshal.GetReference(source);
        ref byte dst = ref MemoryMarshal.GetReference(destination);
        int sourceLength = source.Length;
        int destinationLength = destination.Length;
        CrLfBlockScanner.ScanPath path = CrLfBlockScanner.Path;
        bool vectorize = path != CrLfBlockScanner.ScanPath.Scalar;
        bool use256 = path == CrLfBlockScanner.ScanPath.Vector256;
        State state = _state;
        int i = 0;
        int j = 0;
        OperationStatus status = OperationStatus.NeedMoreData;

        // The byte-wise path runs up to here before blocks are tried again, so no byte is scanned twice.
        int scalarEnd = 0;

        if (state == State.LineFeedPending)
        {
            // The CR of a confirmed CRLF went out when the destination had room for it alone.
            if (destinationLength == 0)
            {
                bytesConsumed = 0;
                bytesWritten = 0;
                return OperationStatus.DestinationTooSmall;
            }

            Unsafe.Add(ref dst, j++) = LineFeed;
            state = State.LineStart;
        }

        while (i < sourceLength)
        {
            if (vectorize
                && i >= scalarEnd
                && state is State.LineStart or State.InLine
                && sourceLength - i >= CrLfBlockScanner.BlockSize
                && destinationLength - j >= CrLfBlockScanner.BlockSize)
            {
                bool atLineStart = state == State.LineStart;
                int copied = CrLfBlockScanner.CopyCleanBlocks(source[i..], destination[j..], use256, checkDots: true, ref atLineStart, out ulong flags, out _);
                if (copied > 0)
                {
                    i += copied;
                    j += copied;
                    state = atLineStart ? State.LineStart : State.InLine;
                }

                if (flags == 0)
                {
                    // Stopped for lack of room on either side: the rest goes byte by byte.
                    continue;
                }

                if (destinationLength - j < CrLfBlockScanner.BlockSize)
                {
                    scalarEnd = i + CrLfBlockScanner.BlockSize;
                    continue;
                }

                // Jump from flagged byte to flagged byte of the block's one scan; the bytes between are content.
                ref byte block = ref Unsafe.Add(ref src, i);

                // With a block to spare on both sides, runs are copied as fixed 64-byte moves (see CopyRun).
                bool overCopy = sourceLength - i >= 2 * CrLfBlockScanner.BlockSize && destinationLength - j >= 2 * CrLfBlockScanner.BlockSize;
                byte last = Unsafe.Add(ref block, CrLfBlockScanner.BlockSize - 1);
                State end = last == LineFeed ? State.LineStart : State.InLine;
                int from = 0;
                do
                {
                    int at = BitOperations.TrailingZeroCount(flags);
                    flags &= flags - 1;
                    CrLfBlockScanner.CopyRun(ref Unsafe.Add(ref dst, j), ref Unsafe.Add(ref block, from), at - from, overCopy);
                    j += at - from;
                    from = at + 1;
                    byte flagged = Unsafe.Add(ref block, at);
                    if (flagged == LineFeed)
                    {
                        // Flagged LFs do not follow a CR (RFC 5321 section 2.3.8).
                        return Fail(SmtpCodecError.BareLineFeedInData, i + at, i + at, j, out bytesConsumed, out bytesWritten);
                    }

                    if (flagged == CarriageReturn)
                    {
                        // Flagged CRs are not followed by LF in the block: bare, unless the block's last byte, held until the next.
                        if (at != CrLfBlockScanner.BlockSize - 1)
                        {
                            return Fail(SmtpCodecError.BareCarriageReturnInData, i + at, i + at + 1, j, out bytesConsumed, out bytesWritten);
                        }

                        end = State.InLineCarriageReturn;
                        break;
                    }

                    // A dot that starts a line: the sender's doubling is dropped (RFC 5321 section 4.5.2), "." CRLF ends the data.
                    if (at == CrLfBlockScanner.BlockSize - 1)
                    {
                        end = State.LineStartDot;
                        break;
                    }

                    if (Unsafe.Add(ref block, at + 1) == CarriageReturn)
                    {
                        if (at + 2 == CrLfBlockScanner.BlockSize)
                        {
                            end = State.DotCarriageReturn;
                            from = CrLfBlockScanner.BlockSize;
                            break;
                        }

                        if (Unsafe.Add(ref block, at + 2) == LineFeed)
                        {
                            i += at + 3;
                            _state = State.Completed;
                            _position += i;
                            bytesConsumed = i;
                            bytesWritten = j;
                            return OperationStatus.Done;
                        }
                    }
                }
                while (flags != 0);

                if (from < CrLfBlockScanner.BlockSize)
                {
                    int rest = CrLfBlockScanner.BlockSize - from;
                    CrLfBlockScanner.CopyRun(ref Unsafe.Add(ref dst, j), ref Unsafe.Add(ref block, from), rest, overCopy);
                    j += rest;
                }

                state = end;
                i += CrLfBlockScanner.BlockSize;
                continue;
            }

            byte b = Unsafe.Add(ref src, i);
            switch (state)
            {
                case State.LineStartDot when b == CarriageReturn:
                    // "." CR at the start of a line: the terminator if LF follows (RFC 5321 section 4.1.1.4).
                    state = State.DotCarriageReturn;
                    i++;
                    continue;

                case State.DotCarriageReturn:
                    if (b != LineFeed)
                    {
                        return Fail(SmtpCodecError.BareCarriageReturnInData, i - 1, i, j, out bytesConsumed, out bytesWritten);
                    }

                    i++;
                    state = State.Completed;
                    status = OperationStatus.Done;
                    break;

                case State.LineStart when b == Dot:
                    // The sender doubled a dot that starts a line; the first one is dropped (RFC 5321 section 4.5.2).
                    state = State.LineStartDot;
                    i++;
                    continue;

                case State.InLineCarriageReturn:
                    // The held CR goes out only with its LF, so a bare CR never reaches the content.
                    if (b != LineFeed)
                    {
                        return Fail(SmtpCodecError.BareCarriageReturnInData, i - 1, i, j, out bytesConsumed, out bytesWritten);
                    }

                    if (j == destinationLength)
                    {
                        status = OperationStatus.DestinationTooSmall;
                        break;
                    }

                    Unsafe.Add(ref dst, j++) = CarriageReturn;
                    i++;
                    if (j == destinationLength)
                    {
                        // The CRLF is confirmed; its LF goes out with the next call.
                        state = State.LineFeedPending;
                        status = OperationStatus.DestinationTooSmall;
                        break;
                    }

                    Unsafe.Add(ref dst, j++) = LineFeed;
                    state = State.LineStart;
                    continue;

                default:
                    if (b == LineFeed)
                    {
                        return Fail(SmtpCodecError.BareLineFeedInData, i, i, j, out bytesConsumed, out bytesWritten);
                    }

                    if (b == CarriageReturn)
                    {
                        // Held until the next byte shows whether it ends a line or is bare.
                        i++;
                        state = State.InLineCarriageReturn;
                        continue;
                    }

                    if (j == destinationLength)
                    {
                        status = OperationStatus.DestinationTooSmall;
                        break;
                    }

                    Unsafe.Add(ref dst, j++) = b;
                    i++;
                    state = State.InLine;
                    continue;
            }

            break;
        }

        _state = state;
        _position += i;
        bytesConsumed = i;
        bytesWritten = j;
        if (status == OperationStatus.NeedMoreData && isFinalBlock)
        {
            _state = State.Failed;
            Error = SmtpCodecError.MissingDataTerminator;
            ErrorOffset = _position;
            return OperationStatus.InvalidData;
        }

        return status;
    }

    private OperationStatus Fail(SmtpCodecError error, int offset, int consumed, int written, out int bytesConsumed, out int bytesWritten)
    {
        Error = error;
        ErrorOffset = _position + offset;
        _position += consumed;
        _state = State.Failed;
        bytesConsumed = consumed;
        bytesWritten = written;
        return OperationStatus.InvalidData;
    }
}
