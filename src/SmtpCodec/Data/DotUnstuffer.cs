using System;
using System.Buffers;
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

    /// <summary>Unstuffs a chunk of data into a span; the content is never longer than the input consumed.</summary>
    /// <param name="source">The next bytes received after the 354 reply.</param>
    /// <param name="destination">Where the content goes.</param>
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
            // Only the limit stood in the way: the next content byte is one too many.
            _state = State.Failed;
            Error = SmtpCodecError.MessageTooLarge;
            ErrorOffset = _position;
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
        bool vectorize = CrLfBlockScanner.IsSupported;
        State state = _state;
        int i = 0;
        int j = 0;
        OperationStatus status = OperationStatus.NeedMoreData;

        while (i < sourceLength)
        {
            if (vectorize && state is State.LineStart or State.InLine)
            {
                bool atLineStart = state == State.LineStart;
                int copied = CrLfBlockScanner.CopyCleanBlocks(source[i..], destination[j..], checkDots: true, ref atLineStart);
                if (copied > 0)
                {
                    i += copied;
                    j += copied;
                    state = atLineStart ? State.LineStart : State.InLine;
                    if (i == sourceLength)
                    {
                        break;
                    }
                }
            }

            if (vectorize
                && state is State.LineStart or State.InLine
                && sourceLength - i >= CrLfBlockScanner.BlockSize
                && destinationLength - j >= CrLfBlockScanner.BlockSize)
            {
                int clean = CrLfBlockScanner.CleanPrefixLength(ref Unsafe.Add(ref src, i), state == State.LineStart, checkDots: true, out _);
                if (clean > 0)
                {
                    Unsafe.CopyBlockUnaligned(ref Unsafe.Add(ref dst, j), ref Unsafe.Add(ref src, i), (uint)clean);
                    i += clean;
                    j += clean;
                    state = Unsafe.Add(ref src, i - 1) == LineFeed ? State.LineStart : State.InLine;
                    if (clean == CrLfBlockScanner.BlockSize)
                    {
                        continue;
                    }
                }
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
                    if (b != LineFeed)
                    {
                        return Fail(SmtpCodecError.BareCarriageReturnInData, i - 1, i, j, out bytesConsumed, out bytesWritten);
                    }

                    if (j == destinationLength)
                    {
                        status = OperationStatus.DestinationTooSmall;
                        break;
                    }

                    Unsafe.Add(ref dst, j++) = LineFeed;
                    i++;
                    state = State.LineStart;
                    continue;

                default:
                    if (b == LineFeed)
                    {
                        return Fail(SmtpCodecError.BareLineFeedInData, i, i, j, out bytesConsumed, out bytesWritten);
                    }

                    if (j == destinationLength)
                    {
                        status = OperationStatus.DestinationTooSmall;
                        break;
                    }

                    Unsafe.Add(ref dst, j++) = b;
                    i++;
                    state = b == CarriageReturn ? State.InLineCarriageReturn : State.InLine;
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
