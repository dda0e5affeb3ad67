using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using SmtpCodec.Data;

namespace SmtpCodec.Sink;

/// <summary>Message content: DATA through the <see cref="DotUnstuffer"/>, BDAT chunks counted off the pipe, the optional store.</summary>
internal sealed partial class SinkSession
{
    private readonly byte[] _unstuffed = new byte[16 * 1024];
    private readonly MessageFile? _messageFile;
    private DotUnstuffer _unstuffer;
    private long _contentLength;
    private long _chunkRemaining;
    private bool _lastChunk;
    private bool _chunksRefused;

    private void Data()
    {
        if (!_inTransaction || _recipients == 0)
        {
            Write(_inTransaction ? "554 5.5.1 No valid recipients\r\n"u8 : "503 5.5.1 Need MAIL and RCPT before DATA\r\n"u8);
            return;
        }

        _unstuffer = default;
        _contentLength = 0;
        _mode = Mode.Data;
        Write("354 End data with <CR><LF>.<CR><LF>\r\n"u8);
    }

    /// <summary>Unstuffs content up to the terminator; false when the buffer ran out first.</summary>
    private bool ReadData(ref ReadOnlySequence<byte> buffer)
    {
        foreach (ReadOnlyMemory<byte> segment in buffer)
        {
            ReadOnlySpan<byte> span = segment.Span;
            while (!span.IsEmpty)
            {
                OperationStatus status = _unstuffer.Unstuff(span, _unstuffed, out int consumed, out int written, isFinalBlock: false);
                span = span[consumed..];
                buffer = buffer.Slice(consumed);
                Store(_unstuffed.AsSpan(0, written));
                if (status == OperationStatus.Done)
                {
                    Answerable++;
                    _mode = Mode.Commands;
                    EndMessage();
                    return true;
                }

                if (status == OperationStatus.InvalidData)
                {
                    Answerable++;
                    // A bare CR or LF inside the data (SMTP smuggling, CVE-2023-51764): refuse and hang up, as hardened servers do.
                    Write("521 5.5.2 Bare CR or LF in message data; closing\r\n"u8);
                    _messageFile?.Discard();
                    _mode = Mode.Closing;
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Takes the chunk's bytes off the buffer; false when the buffer ran out first.</summary>
    private bool ReadChunk(ref ReadOnlySequence<byte> buffer)
    {
        ReadOnlySequence<byte> chunk = buffer.Slice(0, Math.Min(_chunkRemaining, buffer.Length));
        buffer = buffer.Slice(chunk.End);
        _chunkRemaining -= chunk.Length;
        if (_chunksRefused)
        {
            _contentLength += chunk.Length;
        }
        else
        {
            foreach (ReadOnlyMemory<byte> segment in chunk)
            {
                Store(segment.Span);
            }
        }

        if (_chunkRemaining > 0)
        {
            return false;
        }

        EndChunk();
        return true;
    }

    /// <summary>Counts content and streams it to the store while the message is within its size limit.</summary>
    private void Store(ReadOnlySpan<byte> content)
    {
        _contentLength += content.Length;
        if (_messageFile is not null && _contentLength <= _options.MaxMessageSize)
        {
            _messageFile.Write(content);
        }
    }

    private void Bdat(ReadOnlySpan<byte> argument)
    {
        int space = argument.IndexOf((byte)' ');
        ReadOnlySpan<byte> sizeText = space < 0 ? argument : argument[..space];
        bool last = space >= 0 && Ascii.EqualsIgnoreCase(argument[(space + 1)..], "LAST"u8);
        if ((_options.Extensions & Protocol.EhloExtensions.Chunking) == 0 || !Utf8Parser.TryParse(sizeText, out long size, out int used) || used != sizeText.Length || size < 0
            || (space >= 0 && !last))
        {
            // Without a valid size the chunk cannot be skipped: framing is lost (RFC 3030 section 2).
            Write("501 5.5.4 Syntax: BDAT size [LAST]; closing\r\n"u8);
            _mode = Mode.Closing;
            return;
        }

        if (!_chunksRefused && _contentLength == 0 && _chunkRemaining == 0 && (!_inTransaction || _recipients == 0))
        {
            _chunksRefused = true;
        }

        _chunkRemaining = size;
        _lastChunk = last;
        _mode = Mode.Chunk;
        if (size == 0)
        {
            EndChunk();
        }
    }

    private void EndChunk()
    {
        _mode = Mode.Commands;

        // The reply to a chunk comes once it is read, and so does its fault (RFC 3030 section 2); a fault
        // ends the transaction: the client starts the message again.
        if (_faults is not null && InjectFault(_lastChunk ? FaultPlan.EndOfDataSlot : FaultPlan.SlotOf(Protocol.SmtpCommand.Bdat)))
        {
            Reset();
            return;
        }

        if (_chunksRefused)
        {
            // RFC 3030 section 2: the chunk is read whatever happens, then refused.
            Write("503 5.5.1 Need MAIL and RCPT before BDAT\r\n"u8);
            if (_lastChunk)
            {
                Reset();
            }

            return;
        }

        if (!_lastChunk)
        {
            Write("250 2.0.0 Chunk received\r\n"u8);
            return;
        }

        EndMessage(faultDrawn: true);
    }

    /// <summary>The end of a message: accepted (counted, stored under its queue id) or refused; the transaction ends either way.</summary>
    private void EndMessage(bool faultDrawn = false)
    {
        if (!faultDrawn && _faults is not null && InjectFault(FaultPlan.EndOfDataSlot))
        {
            // A message struck at its end is not received: no 250 was written for it.
            Reset();
            return;
        }

        if (_contentLength > _options.MaxMessageSize)
        {
            Write("552 5.3.4 Message size exceeds fixed maximum message size\r\n"u8);
            Reset();
            return;
        }

        Span<byte> queueId = stackalloc byte[16];
        _sink.NextQueueId().TryFormat(queueId, out int idLength, "X", CultureInfo.InvariantCulture);
        queueId = queueId[..idLength];
        if (_messageFile is not null && !_messageFile.Commit(Encoding.ASCII.GetString(queueId)))
        {
            Write("451 4.3.0 Cannot store the message, try again later\r\n"u8);
            Reset();
            return;
        }

        Write("250 2.0.0 Ok: queued as "u8);
        Write(queueId);
        Write("\r\n"u8);
        _sink.CountMessage(_contentLength);
        Reset();
    }
}
