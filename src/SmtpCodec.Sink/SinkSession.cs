using System.Buffers;
using System.Diagnostics;
using System.Buffers.Text;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.Security;
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
    private Stream _stream;
    private PipeReader _input;
    private PipeWriter _output;
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
    private bool _tls;
    private bool _startTlsRequested;
    private bool _authenticated;
    private SaslStep _saslStep;
    private string? _loginUser;

    // Reply delay (a WAN's latency): replies wait in _staging until their batch is due; _timer wakes the
    // read loop (CancelPendingRead) when the oldest batch falls due.
    private readonly ReplyStaging? _staging;
    private readonly Queue<(long Due, long End)> _batches = new();
    private readonly long _delayTicks;
    private Timer? _timer;

    // Batch ends count bytes since the session began: sending never rewrites the queue.
    private long _sentBytes;
    private long _lastBatchEnd;
    private long _lastDue;

    public SinkSession(SmtpSink sink, Stream stream)
    {
        _sink = sink;
        _options = sink.Options;
        _stream = stream;
        (_input, _output) = CreatePipes(stream);
        _line = new byte[_options.MaxCommandLength];
        if (_options.ReplyDelay > TimeSpan.Zero)
        {
            _staging = new ReplyStaging();
            _delayTicks = (long)(_options.ReplyDelay.TotalSeconds * Stopwatch.Frequency);
        }
    }

    private IBufferWriter<byte> Replies => _staging ?? (IBufferWriter<byte>)_output;

    /// <summary>The SASL exchange in progress: the next line is a response, not a command.</summary>
    private enum SaslStep
    {
        None,
        PlainResponse,
        LoginUser,
        LoginPassword,
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
            EndBatch(Stopwatch.GetTimestamp());
            await SendRepliesAsync(all: true, cancellationToken).ConfigureAwait(false);
            return;
        }

        Write("220 "u8);
        WriteAscii(_options.ServerName);
        Write(" ESMTP SmtpCodec sink\r\n"u8);
        EndBatch(Stopwatch.GetTimestamp());
        await SendRepliesAsync(all: false, cancellationToken).ConfigureAwait(false);
        while (_mode != Mode.Closing)
        {
            ArmTimer();
            ReadResult read = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            long arrived = Stopwatch.GetTimestamp();
            ReadOnlySequence<byte> buffer = read.Buffer;
            Process(ref buffer);
            _input.AdvanceTo(buffer.Start, buffer.End);
            EndBatch(arrived);

            // One flush for every reply the buffer's pipelined commands produced (RFC 2920 section 3.2);
            // before TLS or closing, every reply waits for its time and goes out first.
            await SendRepliesAsync(_startTlsRequested || _mode == Mode.Closing || read.IsCompleted, cancellationToken).ConfigureAwait(false);
            if (_startTlsRequested)
            {
                await StartTlsAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (read.IsCompleted)
            {
                break;
            }
        }

        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }

        await _input.CompleteAsync().ConfigureAwait(false);
        await _output.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>Marks the replies written since the last batch as due one delay after their commands arrived.</summary>
    private void EndBatch(long arrived)
    {
        if (_staging is not null && _sentBytes + _staging.Count > _lastBatchEnd)
        {
            _lastBatchEnd = _sentBytes + _staging.Count;
            _lastDue = arrived + _delayTicks;
            _batches.Enqueue((_lastDue, _lastBatchEnd));
        }
    }

    /// <summary>Sends the replies that are due (or, with <paramref name="all"/>, waits for the last and sends them all).</summary>
    private async ValueTask SendRepliesAsync(bool all, CancellationToken cancellationToken)
    {
        if (_staging is null)
        {
            await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        if (all && _batches.Count > 0)
        {
            TimeSpan wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _lastDue);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }
        }

        long now = Stopwatch.GetTimestamp();
        long sendEnd = _sentBytes;
        while (_batches.TryPeek(out (long Due, long End) batch) && (all || batch.Due <= now))
        {
            sendEnd = batch.End;
            _batches.Dequeue();
        }

        int count = (int)(sendEnd - _sentBytes);
        if (count == 0)
        {
            return;
        }

        _output.Write(_staging.Written[..count]);
        _staging.RemovePrefix(count);
        _sentBytes = sendEnd;
        await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Wakes the pending read when the oldest waiting batch falls due.</summary>
    private void ArmTimer()
    {
        if (_staging is null)
        {
            return;
        }

        if (!_batches.TryPeek(out (long Due, long End) head))
        {
            _timer?.Change(Timeout.Infinite, Timeout.Infinite);
            return;
        }

        _timer ??= new Timer(static state => ((SinkSession)state!)._input.CancelPendingRead(), this, Timeout.Infinite, Timeout.Infinite);
        TimeSpan wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), head.Due);
        _timer.Change(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// RFC 3207 section 4.2: anything the client pipelined after STARTTLS was already thrown away; the
    /// handshake starts on a clean stream, and everything learnt before it is forgotten.
    /// </summary>
    private async Task StartTlsAsync(CancellationToken cancellationToken)
    {
        _startTlsRequested = false;
        await _input.CompleteAsync().ConfigureAwait(false);
        await _output.CompleteAsync().ConfigureAwait(false);
        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _sink.Certificate }, cancellationToken).ConfigureAwait(false);
        _stream = ssl;
        (_input, _output) = CreatePipes(ssl);
        _tls = true;
        _greeted = false;
        _authenticated = false;
        Reset();
    }

    private static (PipeReader Input, PipeWriter Output) CreatePipes(Stream stream) =>
        (PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true)), PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)));

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

                    if (_saslStep != SaslStep.None)
                    {
                        SaslResponse(_line.AsSpan(0, length));
                    }
                    else
                    {
                        Handle(_line.AsSpan(0, length));
                    }

                    if (_startTlsRequested)
                    {
                        buffer = buffer.Slice(buffer.End);
                        return;
                    }

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

            case SmtpCommand.StartTls when Offers(EhloExtensions.StartTls):
                if (_tls)
                {
                    Write("503 5.5.1 TLS already active\r\n"u8);
                    return;
                }

                Write("220 2.0.0 Ready to start TLS\r\n"u8);
                _startTlsRequested = true;
                return;

            case SmtpCommand.Auth when Offers(EhloExtensions.Auth):
                Auth(argument);
                return;

            default:
                // EXPN, and STARTTLS or AUTH when not offered, and the commands RFC 5321 appendix F retired.
                Write("502 5.5.1 Command not implemented\r\n"u8);
                return;
        }
    }

    /// <summary>Whether the extension is on offer now: STARTTLS only before TLS, AUTH only after it when STARTTLS is offered.</summary>
    private bool Offers(EhloExtensions extension)
    {
        EhloExtensions offered = _options.Extensions;
        if ((offered & extension) == 0)
        {
            return false;
        }

        return extension switch
        {
            EhloExtensions.StartTls => !_tls,
            EhloExtensions.Auth => _tls || (offered & EhloExtensions.StartTls) == 0,
            _ => true,
        };
    }

    /// <summary>AUTH (RFC 4954 section 4) with PLAIN (RFC 4616) or LOGIN.</summary>
    private void Auth(ReadOnlySpan<byte> argument)
    {
        if (!_greeted || _authenticated || _inTransaction)
        {
            Write(_authenticated ? "503 5.5.1 Already authenticated\r\n"u8 : "503 5.5.1 AUTH not allowed now\r\n"u8);
            return;
        }

        int space = argument.IndexOf((byte)' ');
        ReadOnlySpan<byte> name = space < 0 ? argument : argument[..space];
        ReadOnlySpan<byte> initial = space < 0 ? default : argument[(space + 1)..];
        if (!SaslMechanismNames.TryParse(name, out SaslMechanism mechanism) || (_options.AuthMechanisms & SaslMechanismNames.ToFlag(mechanism)) == 0)
        {
            Write("504 5.5.4 Unrecognized authentication type\r\n"u8);
            return;
        }

        if (mechanism == SaslMechanism.Plain)
        {
            if (initial.IsEmpty)
            {
                _saslStep = SaslStep.PlainResponse;
                Write("334 \r\n"u8);
                return;
            }

            _saslStep = SaslStep.PlainResponse;
            SaslResponse(initial);
            return;
        }

        _saslStep = SaslStep.LoginUser;
        if (initial.IsEmpty)
        {
            Write("334 VXNlcm5hbWU6\r\n"u8);
            return;
        }

        SaslResponse(initial);
    }

    /// <summary>A line answering a 334: "*" cancels (RFC 4954 section 4), anything else is base64.</summary>
    private void SaslResponse(ReadOnlySpan<byte> line)
    {
        SaslStep step = _saslStep;
        _saslStep = SaslStep.None;
        if (line.SequenceEqual("*"u8))
        {
            Write("501 5.7.0 Authentication cancelled\r\n"u8);
            return;
        }

        byte[] decoded = new byte[Base64.GetMaxDecodedFromUtf8Length(line.Length)];
        if (Base64.DecodeFromUtf8(line.SequenceEqual("="u8) ? default : line, decoded, out int consumed, out int length) != OperationStatus.Done
            || consumed != (line.SequenceEqual("="u8) ? 0 : line.Length) || line.IndexOfAny((byte)' ', (byte)'\t') >= 0)
        {
            Write("501 5.5.2 Cannot decode response\r\n"u8);
            return;
        }

        ReadOnlySpan<byte> response = decoded.AsSpan(0, length);
        switch (step)
        {
            case SaslStep.PlainResponse:
                // authzid NUL authcid NUL passwd (RFC 4616 section 2).
                int first = response.IndexOf((byte)0);
                int second = first < 0 ? -1 : response[(first + 1)..].IndexOf((byte)0);
                if (second < 0)
                {
                    Write("501 5.5.2 Malformed PLAIN response\r\n"u8);
                    return;
                }

                ReadOnlySpan<byte> user = response.Slice(first + 1, second);
                ReadOnlySpan<byte> password = response[(first + second + 2)..];
                Authenticate(Encoding.UTF8.GetString(user), Encoding.UTF8.GetString(password));
                return;

            case SaslStep.LoginUser:
                _loginUser = Encoding.UTF8.GetString(response);
                _saslStep = SaslStep.LoginPassword;
                Write("334 UGFzc3dvcmQ6\r\n"u8);
                return;

            default:
                Authenticate(_loginUser ?? "", Encoding.UTF8.GetString(response));
                _loginUser = null;
                return;
        }
    }

    private void Authenticate(string user, string password)
    {
        if (_options.Users.TryGetValue(user, out string? expected)
            && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(password)))
        {
            _authenticated = true;
            Write("235 2.7.0 Authentication successful\r\n"u8);
        }
        else
        {
            Write("535 5.7.8 Authentication credentials invalid\r\n"u8);
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
            EhloExtensions flag = EhloKeywords.ToFlag(keyword);
            if ((offered & flag) == 0 || !Offers(flag))
            {
                continue;
            }

            Write("250-"u8);
            Write(EhloKeywords.GetUtf8Name(keyword));
            if (keyword == EhloKeyword.Auth)
            {
                foreach (SaslMechanism mechanism in SaslMechanismNames.All)
                {
                    if ((_options.AuthMechanisms & SaslMechanismNames.ToFlag(mechanism)) != 0)
                    {
                        Write(" "u8);
                        Write(SaslMechanismNames.GetUtf8Name(mechanism));
                    }
                }
            }

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
        Span<byte> span = Replies.GetSpan(text.Length);
        int written = Encoding.ASCII.GetBytes(text, span);
        Replies.Advance(written);
    }

    private void Write(ReadOnlySpan<byte> bytes) => Replies.Write(bytes);

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
