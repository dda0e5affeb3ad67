using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using SmtpCodec.Data;
using SmtpCodec.Protocol;

namespace SmtpCodec.Sink;

/// <summary>
/// One client's session: commands are matched once on their verb (generated matchers), replies are
/// written as bytes and flushed once per batch of pipelined commands, DATA goes through the
/// <see cref="DotUnstuffer"/>, BDAT chunks are counted off the pipe.
/// </summary>
internal sealed class SinkSession
{
    private const int MaxRecipients = 1000;

    private readonly SmtpSink _sink;
    private readonly SmtpSinkOptions _options;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly byte[] _line;
    private readonly byte[] _discard = new byte[16 * 1024];
    private Mode _mode;
    private bool _greeted;
    private bool _inTransaction;
    private int _recipients;
    private long _contentLength;
    private long _chunkRemaining;
    private bool _lastChunk;
    private bool _chunksRefused;
    private DotUnstuffer _unstuffer;

    public SinkSession(SmtpSink sink, Stream stream)
    {
        _sink = sink;
        _options = sink.Options;
        _input = PipeReader.Create(stream);
        _output = PipeWriter.Create(stream);
        _line = new byte[_options.MaxCommandLength];
    }

    private enum Mode
    {
        Commands,
        SkipLongLine,
        Data,
        Chunk,
        Closing,
    }

    public async Task RunAsync(bool admitted, CancellationToken cancellationToken)
    {
        if (!admitted)
        {
            Write("421 4.3.2 Too many connections, try again later\r\n"u8);
            await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        Write("220 "u8);
        WriteAscii(_options.ServerName);
        Write(" ESMTP SmtpCodec sink\r\n"u8);
        await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        while (_mode != Mode.Closing)
        {
            ReadResult read = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = read.Buffer;
            Process(ref buffer);
            _input.AdvanceTo(buffer.Start, buffer.End);

            // One flush for every reply the buffer's pipelined commands produced (RFC 2920 section 3.2).
            await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (read.IsCompleted)
            {
                break;
            }
        }

        await _input.CompleteAsync().ConfigureAwait(false);
        await _output.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>Handles every complete command (and the content) in the buffer; the rest waits for more bytes.</summary>
    private void Process(ref ReadOnlySequence<byte> buffer)
    {
        while (!buffer.IsEmpty && _mode != Mode.Closing)
        {
            switch (_mode)
            {
                case Mode.Data:
                    if (!ReadData(ref buffer))
                    {
                        return;
                    }

                    break;

                case Mode.Chunk:
                    long take = Math.Min(_chunkRemaining, buffer.Length);
                    buffer = buffer.Slice(take);
                    _chunkRemaining -= take;
                    _contentLength += take;
                    if (_chunkRemaining > 0)
                    {
                        return;
                    }

                    EndChunk();
                    break;

                default:
                    SequencePosition? lf = buffer.PositionOf((byte)'\n');
                    if (lf is null)
                    {
                        if (buffer.Length >= _options.MaxCommandLength && _mode == Mode.Commands)
                        {
                            // RFC 5321 section 4.5.3.1.4: too long; the rest of the line is skipped.
                            Write("500 5.5.6 Line too long\r\n"u8);
                            _mode = Mode.SkipLongLine;
                        }

                        if (_mode == Mode.SkipLongLine)
                        {
                            buffer = buffer.Slice(buffer.End);
                        }

                        return;
                    }

                    ReadOnlySequence<byte> line = buffer.Slice(0, lf.Value);
                    buffer = buffer.Slice(buffer.GetPosition(1, lf.Value));
                    if (_mode == Mode.SkipLongLine)
                    {
                        _mode = Mode.Commands;
                        break;
                    }

                    if (line.Length >= _options.MaxCommandLength)
                    {
                        Write("500 5.5.6 Line too long\r\n"u8);
                        break;
                    }

                    line.CopyTo(_line);
                    int length = (int)line.Length;
                    if (length > 0 && _line[length - 1] == (byte)'\r')
                    {
                        length--;
                    }

                    Handle(_line.AsSpan(0, length));
                    break;
            }
        }
    }

    /// <summary>Unstuffs content up to the terminator; false when the buffer ran out first.</summary>
    private bool ReadData(ref ReadOnlySequence<byte> buffer)
    {
        foreach (ReadOnlyMemory<byte> segment in buffer)
        {
            ReadOnlySpan<byte> span = segment.Span;
            while (!span.IsEmpty)
            {
                OperationStatus status = _unstuffer.Unstuff(span, _discard, out int consumed, out int written, isFinalBlock: false);
                span = span[consumed..];
                buffer = buffer.Slice(consumed);
                _contentLength += written;
                if (status == OperationStatus.Done)
                {
                    EndData();
                    return true;
                }

                if (status == OperationStatus.InvalidData)
                {
                    // A bare CR or LF inside the data (SMTP smuggling, CVE-2023-51764): refuse and hang up, as hardened servers do.
                    Write("521 5.5.2 Bare CR or LF in message data; closing\r\n"u8);
                    _mode = Mode.Closing;
                    return true;
                }
            }
        }

        return false;
    }

    private void Handle(ReadOnlySpan<byte> line)
    {
        int space = line.IndexOf((byte)' ');
        ReadOnlySpan<byte> verb = space < 0 ? line : line[..space];
        ReadOnlySpan<byte> argument = space < 0 ? default : line[(space + 1)..];
        if (!SmtpCommandVerbs.TryParse(verb, out SmtpCommand command))
        {
            Write("500 5.5.2 Syntax error, command unrecognized\r\n"u8);
            return;
        }

        switch (command)
        {
            case SmtpCommand.Ehlo:
                if (argument.IsEmpty)
                {
                    Write("501 5.5.4 EHLO needs a domain or address literal\r\n"u8);
                    return;
                }

                Reset();
                _greeted = true;
                WriteEhlo();
                return;

            case SmtpCommand.Helo:
                Reset();
                _greeted = true;
                Write("250 "u8);
                WriteAscii(_options.ServerName);
                Write("\r\n"u8);
                return;

            case SmtpCommand.Mail:
                Mail(argument);
                return;

            case SmtpCommand.Rcpt:
                if (!_inTransaction)
                {
                    Write("503 5.5.1 Need MAIL before RCPT\r\n"u8);
                }
                else if (!StartsWithIgnoreCase(argument, "TO:"u8))
                {
                    Write("501 5.5.4 Syntax: RCPT TO:<address>\r\n"u8);
                }
                else if (_recipients >= MaxRecipients)
                {
                    // RFC 5321 section 4.5.3.1.10: too many recipients is a temporary condition.
                    Write("452 4.5.3 Too many recipients\r\n"u8);
                }
                else
                {
                    _recipients++;
                    Write("250 2.1.5 Ok\r\n"u8);
                }

                return;

            case SmtpCommand.Data:
                if (!_inTransaction || _recipients == 0)
                {
                    Write(_inTransaction ? "554 5.5.1 No valid recipients\r\n"u8 : "503 5.5.1 Need MAIL and RCPT before DATA\r\n"u8);
                    return;
                }

                _unstuffer = default;
                _contentLength = 0;
                _mode = Mode.Data;
                Write("354 End data with <CR><LF>.<CR><LF>\r\n"u8);
                return;

            case SmtpCommand.Bdat:
                Bdat(argument);
                return;

            case SmtpCommand.Rset:
                Reset();
                Write("250 2.0.0 Ok\r\n"u8);
                return;

            case SmtpCommand.Noop:
                Write("250 2.0.0 Ok\r\n"u8);
                return;

            case SmtpCommand.Quit:
                Write("221 2.0.0 Bye\r\n"u8);
                _mode = Mode.Closing;
                return;

            case SmtpCommand.Vrfy:
                Write("252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery\r\n"u8);
                return;

            case SmtpCommand.Help:
                Write("214 2.0.0 See RFC 5321\r\n"u8);
                return;

            default:
                // EXPN, STARTTLS, AUTH, and the commands RFC 5321 appendix F retired: not offered here.
                Write("502 5.5.1 Command not implemented\r\n"u8);
                return;
        }
    }

    private void Mail(ReadOnlySpan<byte> argument)
    {
        if (!_greeted)
        {
            Write("503 5.5.1 Send EHLO or HELO first\r\n"u8);
            return;
        }

        if (_inTransaction)
        {
            Write("503 5.5.1 Nested MAIL command\r\n"u8);
            return;
        }

        if (!StartsWithIgnoreCase(argument, "FROM:"u8))
        {
            Write("501 5.5.4 Syntax: MAIL FROM:<address>\r\n"u8);
            return;
        }

        // RFC 1870 section 6: a declared size over the limit is refused before any data.
        int size = IndexOfIgnoreCase(argument, " SIZE="u8);
        if (size >= 0)
        {
            ReadOnlySpan<byte> digits = argument[(size + 6)..];
            int end = digits.IndexOf((byte)' ');
            if (!Utf8Parser.TryParse(end < 0 ? digits : digits[..end], out long declared, out _) || declared > _options.MaxMessageSize)
            {
                Write("552 5.3.4 Message size exceeds fixed maximum message size\r\n"u8);
                return;
            }
        }

        _inTransaction = true;
        _recipients = 0;
        Write("250 2.1.0 Ok\r\n"u8);
    }

    private void Bdat(ReadOnlySpan<byte> argument)
    {
        int space = argument.IndexOf((byte)' ');
        ReadOnlySpan<byte> sizeText = space < 0 ? argument : argument[..space];
        bool last = space >= 0 && Ascii.EqualsIgnoreCase(argument[(space + 1)..], "LAST"u8);
        if ((_options.Extensions & EhloExtensions.Chunking) == 0 || !Utf8Parser.TryParse(sizeText, out long size, out int used) || used != sizeText.Length || size < 0
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
        if (_chunksRefused)
        {
            // RFC 3030 section 2: the chunk is read whatever happens, then refused.
            Write("503 5.5.1 Need MAIL and RCPT before BDAT\r\n"u8);
            if (_lastChunk)
            {
                _chunksRefused = false;
                Reset();
            }

            return;
        }

        if (!_lastChunk)
        {
            Write("250 2.0.0 Chunk received\r\n"u8);
            return;
        }

        EndMessage();
    }

    private void EndData()
    {
        _mode = Mode.Commands;
        EndMessage();
    }

    private void EndMessage()
    {
        if (_contentLength > _options.MaxMessageSize)
        {
            Write("552 5.3.4 Message size exceeds fixed maximum message size\r\n"u8);
        }
        else
        {
            Write("250 2.0.0 Ok: queued as "u8);
            long id = _sink.NextQueueId();
            Span<byte> digits = stackalloc byte[20];
            id.TryFormat(digits, out int written, "X", CultureInfo.InvariantCulture);
            Write(digits[..written]);
            Write("\r\n"u8);
            _sink.CountMessage(_contentLength);
        }

        Reset();
    }

    private void Reset()
    {
        _inTransaction = false;
        _recipients = 0;
        _contentLength = 0;
        _chunksRefused = false;
    }

    private void WriteEhlo()
    {
        Write("250-"u8);
        WriteAscii(_options.ServerName);
        Write("\r\n"u8);
        EhloExtensions offered = _options.Extensions;
        Span<byte> digits = stackalloc byte[20];
        foreach (EhloKeyword keyword in EhloKeywords.All)
        {
            if ((offered & EhloKeywords.ToFlag(keyword)) == 0)
            {
                continue;
            }

            Write("250-"u8);
            Write(EhloKeywords.GetUtf8Name(keyword));
            if (keyword == EhloKeyword.Size)
            {
                _options.MaxMessageSize.TryFormat(digits, out int written, default, CultureInfo.InvariantCulture);
                Write(" "u8);
                Write(digits[..written]);
            }

            Write("\r\n"u8);
        }

        Write("250 HELP\r\n"u8);
    }

    private void WriteAscii(string text)
    {
        Span<byte> span = _output.GetSpan(text.Length);
        int written = Encoding.ASCII.GetBytes(text, span);
        _output.Advance(written);
    }

    private void Write(ReadOnlySpan<byte> bytes) => _output.Write(bytes);

    private static bool StartsWithIgnoreCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> prefix) =>
        text.Length >= prefix.Length && Ascii.EqualsIgnoreCase(text[..prefix.Length], prefix);

    private static int IndexOfIgnoreCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> value)
    {
        for (int i = 0; i + value.Length <= text.Length; i++)
        {
            if (Ascii.EqualsIgnoreCase(text.Slice(i, value.Length), value))
            {
                return i;
            }
        }

        return -1;
    }
}
