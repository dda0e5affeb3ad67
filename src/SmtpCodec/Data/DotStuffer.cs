using System;
using System.Buffers;
using SmtpCodec.Protocol;

namespace SmtpCodec.Data;

/// <summary>
/// Encodes a message for the DATA command (RFC 5321 section 4.5.2), streaming: every line break
/// (CRLF, lone CR, lone LF) becomes CRLF, a dot that starts a line is doubled, and the final block
/// ends with the <c>.</c> CRLF terminator (after a CRLF when the message does not end with a line
/// break). Every other byte passes unchanged. The output of any chunking of the input equals the
/// output of one call with the whole input. Allocates nothing.
/// </summary>
/// <remarks>A mutable struct: keep it in a field or a local and pass it by reference.</remarks>
public partial struct DotStuffer
{
    private LineBreakEncoder _encoder;
    private bool _completed;

    // How much of the terminator went out: a destination shorter than it takes it in parts.
    private byte _terminatorWritten;

    /// <summary>Creates a stuffer.</summary>
    /// <param name="rejectLongLines">
    /// Whether a line longer than 998 octets (CRLF excluded, a doubled dot included) is an error
    /// (RFC 5321 section 4.5.3.1.6); by default such lines pass unchanged.
    /// </param>
    public DotStuffer(bool rejectLongLines)
    {
        RejectsLongLines = rejectLongLines;
    }

    /// <summary>Whether lines longer than 998 octets are rejected with <see cref="SmtpCodecError.DataLineTooLong"/>.</summary>
    public bool RejectsLongLines { get; }

    /// <summary>How many input bytes were consumed since the start of the message.</summary>
    public readonly long BytesConsumed => _encoder.Position;

    /// <summary>Whether the terminator has been written; <see cref="Reset"/> starts a new message.</summary>
    public readonly bool IsCompleted => _completed;

    /// <summary>The error of the last call that returned <see cref="OperationStatus.InvalidData"/>, else None.</summary>
    public SmtpCodecError Error { readonly get; private set; }

    /// <summary>The offset in the message (from its first byte) of the byte that caused <see cref="Error"/>.</summary>
    public readonly long ErrorOffset => _encoder.ErrorOffset;

    /// <summary>
    /// The most bytes that stuffing <paramref name="sourceLength"/> input bytes can produce: twice the
    /// input (every byte a lone LF or a dot after one), plus 5 for CRLF <c>.</c> CRLF in the final block.
    /// </summary>
    /// <param name="sourceLength">The number of input bytes.</param>
    /// <param name="isFinalBlock">Whether the terminator is written too.</param>
    /// <returns>An upper bound of the output size that some input reaches.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The bound does not fit in an array.</exception>
    public static int GetMaxStuffedLength(int sourceLength, bool isFinalBlock)
    {
        int length = LineBreakEncoder.GetMaxEncodedLength(sourceLength);
        if (!isFinalBlock)
        {
            return length;
        }

        return length <= Array.MaxLength - 5 ? length + 5 : throw new ArgumentOutOfRangeException(nameof(sourceLength));
    }

    /// <summary>Forgets the message so far; the next call starts a new message.</summary>
    public void Reset()
    {
        _encoder.Reset();
        _completed = false;
        _terminatorWritten = 0;
        Error = SmtpCodecError.None;
    }

    /// <summary>Stuffs a chunk of the message into a span.</summary>
    /// <param name="source">The next bytes of the message, of any length.</param>
    /// <param name="destination">Where the stuffed bytes go; bytes past <paramref name="bytesWritten"/> may be overwritten (scratch for block copies).</param>
    /// <param name="bytesConsumed">How many bytes of <paramref name="source"/> were consumed.</param>
    /// <param name="bytesWritten">How many bytes were written to <paramref name="destination"/>.</param>
    /// <param name="isFinalBlock">Whether <paramref name="source"/> ends the message: the terminator is written too.</param>
    /// <returns>
    /// Done when everything (and, for the final block, the terminator) was written; DestinationTooSmall
    /// when <paramref name="destination"/> filled up first (call again with the rest of the input; once the
    /// terminator has begun, that rest is empty and the terminator continues where it stopped);
    /// InvalidData when a line is too long and <see cref="RejectsLongLines"/> is set (see <see cref="Error"/>).
    /// </returns>
    /// <exception cref="InvalidOperationException">
    /// The terminator was already written (call <see cref="Reset"/>), or it has begun and more input or a non-final block follows.
    /// </exception>
    public OperationStatus Stuff(
        ReadOnlySpan<byte> source,
        Span<byte> destination,
        out int bytesConsumed,
        out int bytesWritten,
        bool isFinalBlock)
    {
        if (_completed)
        {
            throw new InvalidOperationException("The message is complete: call Reset before stuffing another one.");
        }

        if (_terminatorWritten > 0 && (!source.IsEmpty || !isFinalBlock))
        {
            throw new InvalidOperationException("The terminator has begun: only a final block with no more input may follow.");
        }

        OperationStatus status = _encoder.Encode(source, destination, stuffDots: true, RejectsLongLines, out bytesConsumed, out bytesWritten);
        if (status == OperationStatus.InvalidData)
        {
            Error = SmtpCodecError.DataLineTooLong;
            return status;
        }

        if (status != OperationStatus.Done || !isFinalBlock)
        {
            return status;
        }

        // The terminator is "." CRLF after a line break; a message not ending in one gets a CRLF first (RFC 5321 section 4.1.1.4).
        // No input follows it, so the choice stays the same across the calls that write it in parts.
        ReadOnlySpan<byte> terminator = (_encoder.AtLineStart ? ".\r\n"u8 : "\r\n.\r\n"u8)[_terminatorWritten..];
        Span<byte> rest = destination[bytesWritten..];
        int part = Math.Min(rest.Length, terminator.Length);
        terminator[..part].CopyTo(rest);
        bytesWritten += part;
        _terminatorWritten += (byte)part;
        if (part < terminator.Length)
        {
            return OperationStatus.DestinationTooSmall;
        }

        _completed = true;
        return OperationStatus.Done;
    }

    /// <summary>Stuffs a chunk of the message into a buffer writer.</summary>
    /// <param name="source">The next bytes of the message, of any length.</param>
    /// <param name="destination">Where the stuffed bytes go.</param>
    /// <param name="isFinalBlock">Whether <paramref name="source"/> ends the message: the terminator is written too.</param>
    /// <returns>Done, or InvalidData when a line is too long and <see cref="RejectsLongLines"/> is set.</returns>
    /// <exception cref="InvalidOperationException">The terminator was already written; call <see cref="Reset"/>.</exception>
    public OperationStatus Stuff(ReadOnlySpan<byte> source, IBufferWriter<byte> destination, bool isFinalBlock)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (_completed)
        {
            throw new InvalidOperationException("The message is complete: call Reset before stuffing another one.");
        }

        if (_encoder.EncodeInPieces(source, destination, stuffDots: true, RejectsLongLines, out _) == OperationStatus.InvalidData)
        {
            Error = SmtpCodecError.DataLineTooLong;
            return OperationStatus.InvalidData;
        }

        if (isFinalBlock)
        {
            Span<byte> span = destination.GetSpan(GetMaxStuffedLength(0, isFinalBlock: true));
            _ = Stuff([], span, out _, out int written, isFinalBlock: true);
            destination.Advance(written);
        }

        return OperationStatus.Done;
    }
}
