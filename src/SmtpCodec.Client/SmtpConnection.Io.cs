using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using SmtpCodec.Commands;
using SmtpCodec.Protocol;
using SmtpCodec.Replies;

namespace SmtpCodec.Client;

/// <summary>Writing commands, reading replies, timeouts and the transcript.</summary>
public sealed partial class SmtpConnection
{
    /// <summary>
    /// Writes one command into the pipe (not flushed); a bad argument throws before a byte is written. Between
    /// <see cref="BeginCommands"/> and <see cref="CommitCommands"/> commands are staged, so that a group (MAIL,
    /// every RCPT, DATA) reaches the pipe whole or not at all.
    /// </summary>
    private void WriteCommand<TState>(SmtpPhase phase, Func<IBufferWriter<byte>, TState, CommandWriteResult> write, TState state, bool secret = false)
        where TState : allows ref struct
    {
        EnsureUsable(phase);
        IBufferWriter<byte> destination = _staging is { } staging && _staged ? staging : _output;
        IBufferWriter<byte> target = _tap is null ? destination : _tap.Attach(destination);
        write(target, state).ThrowIfFailed();
        if (_tap is not null)
        {
            foreach (string line in _tap.TakeLines())
            {
                string shown = secret && !_options.ShowSecretsInTranscript ? Redact(line) : line;
                if (_staged)
                {
                    (_stagedNotes ??= []).Add(shown);
                }
                else
                {
                    Note(SmtpTranscriptDirection.Client, shown);
                }
            }
        }
    }

    /// <summary>Starts staging commands: they reach the pipe only on <see cref="CommitCommands"/>.</summary>
    private void BeginCommands()
    {
        _staging ??= new ArrayBufferWriter<byte>(1024);
        _staging.ResetWrittenCount();
        _stagedNotes?.Clear();
        _staged = true;
    }

    /// <summary>Moves the staged commands into the pipe (still not flushed) and notes them in the transcript.</summary>
    private void CommitCommands()
    {
        _staged = false;
        _output.Write(_staging!.WrittenSpan);
        _staging.ResetWrittenCount();
        if (_stagedNotes is { Count: > 0 } notes)
        {
            foreach (string line in notes)
            {
                Note(SmtpTranscriptDirection.Client, line);
            }

            notes.Clear();
        }
    }

    /// <summary>Drops the staged commands: nothing of the group was written.</summary>
    private void AbandonCommands()
    {
        _staged = false;
        _staging?.ResetWrittenCount();
        _stagedNotes?.Clear();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<SmtpResponse> FlushAndReadAsync(SmtpPhase phase, CancellationToken cancellationToken, bool readCapabilities = false)
    {
        await FlushAsync(phase, cancellationToken).ConfigureAwait(false);
        return await ReadReplyAsync(phase, cancellationToken, readCapabilities).ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    internal async ValueTask FlushAsync(SmtpPhase phase, CancellationToken cancellationToken)
    {
        EnsureUsable(phase);
        TimeSpan timeout = _options.Timeouts.For(phase == SmtpPhase.EndOfData ? SmtpPhase.DataBlock : phase);
        CancellationToken token = StartTimer(timeout, cancellationToken, out CancellationTokenRegistration link);
        try
        {
            FlushResult result = await _output.FlushAsync(token).ConfigureAwait(false);
            if (result.IsCompleted)
            {
                throw Broken(new SmtpProtocolException(phase, "The server closed the connection while commands were being sent.", isTransient: true));
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Broken(new SmtpTimeoutException(phase, timeout));
        }
        catch (OperationCanceledException)
        {
            throw Broken(null);
        }
        catch (IOException e)
        {
            throw Broken(new SmtpProtocolException(phase, $"The connection failed while sending: {e.Message}", isTransient: true, e));
        }
        finally
        {
            StopTimer(link);
        }
    }

    /// <summary>Reads one reply (with the phase's timeout); after EHLO its capabilities are kept.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<SmtpResponse> ReadReplyAsync(SmtpPhase phase, CancellationToken cancellationToken, bool readCapabilities = false)
    {
        EnsureUsable(phase);
        TimeSpan timeout = _options.Timeouts.For(phase);
        CancellationToken token = StartTimer(timeout, cancellationToken, out CancellationTokenRegistration link);
        try
        {
            while (true)
            {
                ReadResult read = await _input.ReadAsync(token).ConfigureAwait(false);
                if (TryTakeReply(read, phase, readCapabilities, out SmtpResponse response))
                {
                    if (response.IsClosing)
                    {
                        // RFC 5321 section 3.8: the server is closing the channel, wherever it says so; so do we.
                        // This is the one place a 421 is handled: every path sees it as this exception.
                        throw Broken(new SmtpReplyException(phase, response, DescribePhase(phase)));
                    }

                    return response;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Broken(new SmtpTimeoutException(phase, timeout));
        }
        catch (OperationCanceledException)
        {
            throw Broken(null);
        }
        catch (IOException e)
        {
            throw Broken(new SmtpProtocolException(phase, $"The connection failed while reading a reply: {e.Message}", isTransient: true, e));
        }
        finally
        {
            StopTimer(link);
        }
    }

    /// <summary>
    /// Arms the connection's one reusable timer for a phase (no timer or token source per operation) and
    /// links the caller's token to it while the operation runs.
    /// </summary>
    private CancellationToken StartTimer(TimeSpan timeout, CancellationToken cancellationToken, out CancellationTokenRegistration link)
    {
        if (!_timer.TryReset())
        {
            _timer.Dispose();
            _timer = new CancellationTokenSource();
        }

        _timer.CancelAfter(timeout);
        link = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), _timer)
            : default;
        return _timer.Token;
    }

    private void StopTimer(CancellationTokenRegistration link)
    {
        link.Dispose();
        _timer.CancelAfter(Timeout.InfiniteTimeSpan);
    }

    private bool TryTakeReply(in ReadResult read, SmtpPhase phase, bool readCapabilities, out SmtpResponse response)
    {
        var reader = new SmtpReplyReader(read.Buffer, read.IsCompleted, _replyState);
        switch (reader.Read(out SmtpReply reply))
        {
            case OperationStatus.Done:
                response = new SmtpResponse(reply.Code, reply.EnhancedStatusCode, _replyTexts.GetText(reply));
                if (_options.Transcript is not null)
                {
                    NoteReply(reply);
                }

                if (readCapabilities && reply.Code == (int)SmtpReplyCode.Completed)
                {
                    SmtpCodecError error = _capabilities.Read(reply);
                    if (error != SmtpCodecError.None)
                    {
                        throw Broken(new SmtpProtocolException(phase, $"The EHLO reply is invalid at line {_capabilities.ErrorLine + 1}: {SmtpCodecErrors.GetMessage(error)}"));
                    }
                }

                _replyState = _freshReplyState;
                _input.AdvanceTo(reader.Position);
                return true;

            case OperationStatus.NeedMoreData:
                if (read.IsCompleted)
                {
                    string where = read.Buffer.IsEmpty ? "instead of replying" : "in the middle of a reply";
                    throw Broken(new SmtpProtocolException(phase, $"The server closed the connection {where}.", isTransient: true));
                }

                _replyState = reader.CurrentState;
                _input.AdvanceTo(reader.Position, read.Buffer.End);
                response = default;
                return false;

            default:
                if (reader.Error == SmtpCodecError.TruncatedReply)
                {
                    throw Broken(new SmtpProtocolException(phase, "The server closed the connection in the middle of a reply.", isTransient: true));
                }

                throw Broken(new SmtpProtocolException(
                    phase, $"The server sent an invalid reply ({reader.Error} at byte {reader.ErrorOffset}): {SmtpCodecErrors.GetMessage(reader.Error)}"));
        }
    }

    /// <summary>What a phase attempted, as an exception's message names it.</summary>
    private static string DescribePhase(SmtpPhase phase) => phase switch
    {
        SmtpPhase.Connect => "Connecting",
        SmtpPhase.Greeting => "The greeting",
        SmtpPhase.Ehlo => "EHLO",
        SmtpPhase.StartTls => "STARTTLS",
        SmtpPhase.Auth => "AUTH",
        SmtpPhase.Mail => "MAIL FROM",
        SmtpPhase.Rcpt => "RCPT TO",
        SmtpPhase.Data => "DATA",
        SmtpPhase.DataBlock or SmtpPhase.EndOfData => "The message",
        _ => "The session",
    };

    private async ValueTask CloseAfterFailureAsync()
    {
        _broken = true;
        await DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Marks the connection failed without a word to the server: closing it then neither flushes what is still
    /// buffered (a half-written message) nor says goodbye over TLS.
    /// </summary>
    internal void Abort() => _broken = true;

    /// <summary>
    /// From another thread (a sender stopping at its deadline): marks the connection failed and closes its socket, so
    /// that a write or a read waiting on it ends now with an <see cref="IOException"/>, as if the peer had gone.
    /// </summary>
    internal void Interrupt()
    {
        _broken = true;
        try
        {
            _transport.Dispose();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // Already closed or failing: the connection is gone either way.
        }
    }

    /// <summary>Marks the connection unusable; returns the exception to throw (or rethrows cancellation).</summary>
    private Exception Broken(SmtpException? exception)
    {
        _broken = true;
        try
        {
            _stream.Dispose();
        }
        catch (IOException)
        {
            // Closing a failed stream may fail again; the connection is gone either way.
        }

        return (Exception?)exception ?? new OperationCanceledException("The SMTP operation was cancelled; the connection is closed.");
    }

    private void EnsureUsable(SmtpPhase phase)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_broken)
        {
            throw new SmtpException(phase, "The connection is closed after an earlier failure; open a new one.", isTransient: true);
        }
    }

    private void NoteReply(SmtpReply reply)
    {
        foreach (SmtpReplyLine line in reply.GetLines())
        {
            string text = line.GetString();
            string separator = line.IsLast ? (text.Length == 0 ? "" : " ") : "-";
            Note(SmtpTranscriptDirection.Server, $"{reply.Code}{separator}{text}");
        }
    }

    private void Note(SmtpTranscriptDirection direction, string text) =>
        _options.Transcript?.Invoke(new SmtpTranscriptLine(direction, text) { ConnectionId = Id });

    /// <summary>Hides SASL responses: "AUTH PLAIN &lt;secret&gt;" keeps its first two words.</summary>
    private static string Redact(string line)
    {
        if (line.StartsWith("AUTH ", StringComparison.OrdinalIgnoreCase))
        {
            int space = line.IndexOf(' ', 5);
            return space < 0 ? line : line[..space] + " <redacted>";
        }

        return "<redacted>";
    }
}
