using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using SmtpCodec.Protocol;

namespace SmtpCodec.Sink;

/// <summary>
/// One client's session: commands are matched once on their verb (generated matchers), replies are
/// written as bytes and flushed once per batch of pipelined commands, DATA goes through the
/// <see cref="Data.DotUnstuffer"/>, BDAT chunks are counted off the pipe. Its concerns sit in partial
/// files: reply timing (Replies), content (Data), AUTH (Auth) and injected faults (Faults).
/// </summary>
internal sealed partial class SinkSession : IDisposable
{
    private readonly SmtpSink _sink;
    private readonly SmtpSinkOptions _options;
    // Read and discarded at most when closing, before the socket is closed anyway.
    private const long MaxDiscardedOnClose = 16 * 1024 * 1024;

    private readonly Stream _transport;
    private Stream _stream;
    private PipeReader _input;
    private PipeWriter _output;
    private readonly byte[] _line;
    private Mode _mode;
    private bool _greeted;
    private bool _inTransaction;
    private int _recipients;
    private bool _tls;
    private bool _startTlsRequested;

    public SinkSession(SmtpSink sink, Stream stream, long number)
    {
        _sink = sink;
        _options = sink.Options;
        _stream = stream;
        _transport = stream;
        (_input, _output) = CreatePipes(stream);
        _line = new byte[_options.MaxCommandLength];
        _faults = sink.Faults;
        if (_faults is not null)
        {
            // One generator per connection, so that a seeded run repeats whatever else runs beside it.
            _random = new Random(_options.FaultSeed is int seed ? unchecked((seed * 1_000_003) + (int)number) : Random.Shared.Next());
        }

        _messageFile = sink.Store?.OpenSession(number);
        if (_options.ReplyDelay > TimeSpan.Zero || _faults?.HasDelays == true)
        {
            _staging = new ReplyStaging();
            _delayTicks = (long)(_options.ReplyDelay.TotalSeconds * Stopwatch.Frequency);
        }

        _commandTimeoutTicks = (long)(_options.CommandTimeout.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>Lines and message ends the session took, each owed exactly one reply (a BDAT's comes after its chunk).</summary>
    internal long Answerable { get; private set; }

    /// <summary>Whether the session waits for the rest of a BDAT chunk, whose reply is still owed.</summary>
    internal bool InChunk => _mode == Mode.Chunk;

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
        _arrived = Stopwatch.GetTimestamp();
        if (!admitted)
        {
            Write("421 4.3.2 Too many connections, try again later\r\n"u8);
            EndBatch();
            await SendRepliesAsync(all: true, cancellationToken).ConfigureAwait(false);
            return;
        }

        Write("220 "u8);
        WriteAscii(_options.ServerName);
        Write(" ESMTP SmtpCodec sink\r\n"u8);
        EndBatch();
        await SendRepliesAsync(all: false, cancellationToken).ConfigureAwait(false);
        StartDeadline();
        bool graceful = true;
        while (_mode != Mode.Closing)
        {
            await WaitForStagingRoomAsync(cancellationToken).ConfigureAwait(false);
            ArmTimer();
            ReadResult read = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (_timedOut)
            {
                await TimeOutAsync(cancellationToken).ConfigureAwait(false);
                graceful = false;
                break;
            }

            _arrived = Stopwatch.GetTimestamp();
            _faultDelayTicks = 0;
            ReadOnlySequence<byte> buffer = read.Buffer;
            Process(ref buffer);

            // After a refused AUTH the rest waits in the pipe (examined only up to here, so the next read returns it).
            bool paused = _pauseAfterAuthFailure;
            _input.AdvanceTo(buffer.Start, paused ? buffer.Start : buffer.End);
            EndBatch();
            if (paused)
            {
                _pauseAfterAuthFailure = false;
                if (_options.AuthFailureDelay > TimeSpan.Zero)
                {
                    await Task.Delay(_options.AuthFailureDelay, cancellationToken).ConfigureAwait(false);
                }
            }

            // One flush for every reply the buffer's pipelined commands produced (RFC 2920 section 3.2);
            // before TLS or closing, every reply waits for its time and goes out first.
            await SendRepliesAsync(_startTlsRequested || _mode == Mode.Closing || read.IsCompleted, cancellationToken).ConfigureAwait(false);
            ExtendDeadline();
            if (_startTlsRequested)
            {
                if (!await StartTlsAsync(cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }

            if (read.IsCompleted)
            {
                break;
            }
        }

        // No timer may cancel a read of the close below.
        await DisposeTimersAsync().ConfigureAwait(false);
        if (_mode == Mode.Closing && graceful)
        {
            await CloseGracefullyAsync(cancellationToken).ConfigureAwait(false);
        }

        await _input.CompleteAsync().ConfigureAwait(false);
        await _output.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>Drops a message left half-stored by a session that ended in the middle of it.</summary>
    public void Dispose()
    {
        _messageFile?.Dispose();
        _timer?.Dispose();
        _deadlineTimer?.Dispose();
    }

    private async ValueTask DisposeTimersAsync()
    {
        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }

        if (_deadlineTimer is not null)
        {
            await _deadlineTimer.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Handles every complete command (and the content) in the buffer; the rest waits for more bytes.</summary>
    private void Process(ref ReadOnlySequence<byte> buffer)
    {
        while (!buffer.IsEmpty && _mode != Mode.Closing)
        {
            switch (_mode)
            {
                case Mode.Data:
                case Mode.Chunk:
                    long before = buffer.Length;
                    bool ended = _mode == Mode.Data ? ReadData(ref buffer) : ReadChunk(ref buffer);
                    CountContent(before - buffer.Length);
                    if (!ended)
                    {
                        return;
                    }

                    break;

                default:
                    // A line answering a 334 may be longer than a command (RFC 4954 section 4).
                    int limit = _saslStep == SaslStep.None ? _options.MaxCommandLength : SmtpSinkOptions.MaxSaslLineLength;
                    SequencePosition? lf = buffer.PositionOf((byte)'\n');
                    if (lf is null)
                    {
                        if (buffer.Length >= limit && _mode == Mode.Commands)
                        {
                            // RFC 5321 section 4.5.3.1.4: too long; the rest of the line is skipped.
                            Answerable++;
                            RefuseLongLine();
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
                    _progress = true;
                    if (_mode == Mode.SkipLongLine)
                    {
                        _mode = Mode.Commands;
                        break;
                    }

                    Answerable++;

                    if (line.Length >= limit)
                    {
                        RefuseLongLine();
                        break;
                    }

                    Span<byte> copy = line.Length <= _line.Length ? _line : (_saslLine ??= new byte[SmtpSinkOptions.MaxSaslLineLength]);
                    line.CopyTo(copy);
                    int length = (int)line.Length;
                    if (length > 0 && copy[length - 1] == (byte)'\r')
                    {
                        length--;
                    }

                    if (_saslStep != SaslStep.None)
                    {
                        SaslResponse(copy[..length]);
                    }
                    else
                    {
                        Handle(copy[..length]);
                    }

                    if (_startTlsRequested)
                    {
                        buffer = buffer.Slice(buffer.End);
                        return;
                    }

                    if (_pauseAfterAuthFailure)
                    {
                        return;
                    }

                    break;
            }
        }
    }

    private void RefuseLongLine()
    {
        if (_saslStep != SaslStep.None)
        {
            // RFC 4954 section 4: the exchange ends with 500 5.5.6.
            EndSasl();
            Write("500 5.5.6 Authentication Exchange line is too long\r\n"u8);
            return;
        }

        Write("500 5.5.6 Line too long\r\n"u8);
    }

    private void Handle(ReadOnlySpan<byte> line)
    {
        // RFC 5321 section 4.1.1: a command is text without controls; a NUL, a bare CR or a TAB in it is refused, not guessed at.
        if (line.IndexOfAnyInRange((byte)0, (byte)0x1F) >= 0 || line.Contains((byte)0x7F))
        {
            Write("501 5.5.2 Syntax error, control character in command line\r\n"u8);
            return;
        }

        int space = line.IndexOf((byte)' ');
        ReadOnlySpan<byte> verb = space < 0 ? line : line[..space];
        ReadOnlySpan<byte> argument = space < 0 ? default : line[(space + 1)..];
        if (!SmtpCommandVerbs.TryParse(verb, out SmtpCommand command))
        {
            Write("500 5.5.2 Syntax error, command unrecognized\r\n"u8);
            return;
        }

        // A BDAT's reply comes once its chunk is read: its fault is drawn then (EndChunk).
        if (_faults is not null && command != SmtpCommand.Bdat && InjectFault(FaultPlan.SlotOf(command)))
        {
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
                Write(_tls ? _sink.EhloAfterTls : _sink.EhloBeforeTls);
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
                Rcpt(argument);
                return;

            case SmtpCommand.Data:
                Data();
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
                Write("220 2.0.0 Ready to start TLS\r\n"u8);
                _startTlsRequested = true;
                return;

            case SmtpCommand.StartTls when _tls:
                Write("503 5.5.1 TLS already active\r\n"u8);
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
    private bool Offers(EhloExtensions extension) => EhloReplyBuilder.IsOfferedNow(_options.Extensions, extension, _tls);

    private void WriteAscii(string text) => WriteAscii(Replies, text);

    private static void WriteAscii(IBufferWriter<byte> writer, string text)
    {
        Span<byte> span = writer.GetSpan(text.Length);
        int written = Encoding.ASCII.GetBytes(text, span);
        writer.Advance(written);
    }

    private void Write(ReadOnlySpan<byte> bytes) => Replies.Write(bytes);
}
