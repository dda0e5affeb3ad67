using System.Buffers;
using System.Buffers.Text;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;

namespace SmtpCodec.Tests.Infrastructure;

/// <summary>
/// An SMTP server over in-memory pipes, for the pool's steady state: it answers a pipelined batch with one
/// write, as a real server does, and allocates nothing per message (replies are spans, the queue id is
/// formatted into a buffer). Optional hooks change replies, drop the connection or record what arrived.
/// </summary>
internal sealed class PipeSmtpPeer
{
    private static readonly byte[] Data354 = "354 End data with <CR><LF>.<CR><LF>\r\n"u8.ToArray();
    private readonly bool _chunking;
    private readonly object _gate = new();
    private readonly List<Task> _sessions = [];
    private long _queueId;
    private int _messages;
    private int _mailAfterEnd;
    private int _mostEnds;

    public PipeSmtpPeer(bool chunking = false) => _chunking = chunking;

    /// <summary>
    /// Called with (command line without its line end, the current transaction's MAIL line) before the peer answers;
    /// the end of a message comes as the line ".". A non-null result replaces the reply ("" closes the connection
    /// without a reply). Leave null in allocation tests.
    /// </summary>
    public Func<string, string?, string?>? Override { get; set; }

    /// <summary>MAIL commands that arrived in the same write as the previous message's end (cross-message pipelining).</summary>
    public int MailAfterEndInSameWrite => Volatile.Read(ref _mailAfterEnd);

    /// <summary>The most messages ended (end of data or BDAT LAST) in one write of the client.</summary>
    public int MostMessagesInOneWrite => Volatile.Read(ref _mostEnds);

    /// <summary>EHLO keywords offered besides PIPELINING, 8BITMIME, ENHANCEDSTATUSCODES, SIZE (and CHUNKING when asked).</summary>
    public IReadOnlyList<string> ExtraExtensions { get; init; } = [];

    /// <summary>When set, MAIL is refused with 452 4.5.3 once a session has had this many transactions.</summary>
    public int? MaxMessagesPerSession { get; init; }

    private int _sessionLimitRefusals;

    /// <summary>MAIL commands refused by <see cref="MaxMessagesPerSession"/>.</summary>
    public int SessionLimitRefusals => Volatile.Read(ref _sessionLimitRefusals);

    /// <summary>When set, every accepted message's content (unstuffed, as received) is kept.</summary>
    public List<byte[]>? Received { get; set; }

    /// <summary>When set, the client's stream throws <see cref="InvalidOperationException"/> on that flush (counted over all connections).</summary>
    public int? ThrowOnFlush { get; set; }

    private int _flushes;

    /// <summary>Flushes of the client's stream counted since <see cref="ThrowOnFlush"/> was set.</summary>
    public int FlushesCounted => Volatile.Read(ref _flushes);

    /// <summary>Messages the peer answered 250 to.</summary>
    public int Accepted => Volatile.Read(ref _messages);

    /// <summary>Connections opened so far.</summary>
    public int Connections { get; private set; }

    /// <summary>Opens a connection: the client's end of a new pair of pipes.</summary>
    public Stream Connect()
    {
        var toServer = new Pipe(new PipeOptions(useSynchronizationContext: false));
        var toClient = new Pipe(new PipeOptions(useSynchronizationContext: false));
        lock (_gate)
        {
            Connections++;
            _sessions.Add(Task.Run(() => RunAsync(toServer.Reader, toClient.Writer)));
        }

        return new PipeStream(toClient.Reader, toServer.Writer, this);
    }

    /// <summary>Waits for every session to end (they end when the client closes its side).</summary>
    public Task StopAsync()
    {
        lock (_gate)
        {
            return Task.WhenAll(_sessions);
        }
    }

    private async Task RunAsync(PipeReader input, PipeWriter output)
    {
        try
        {
            output.Write("220 peer.test ESMTP\r\n"u8);
            await output.FlushAsync().ConfigureAwait(false);
            var session = new Session(this);
            while (true)
            {
                ReadResult read = await input.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = read.Buffer;
                bool close = session.Process(ref buffer, output);
                input.AdvanceTo(buffer.Start, buffer.End);
                await output.FlushAsync().ConfigureAwait(false);
                if (close || read.IsCompleted)
                {
                    break;
                }
            }
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
            await output.CompleteAsync().ConfigureAwait(false);
        }
    }

    private sealed class Session(PipeSmtpPeer peer)
    {
        private long _dataRemaining = -1; // BDAT bytes still to skip
        private bool _bdatLast;
        private bool _inData;
        private bool _mailSeen;
        private int _mailsInSession;
        private int _accepted;
        private MemoryStream? _content;
        private string? _currentMail;
        private int _endsInWrite;

        /// <summary>Answers every complete command (and content) in the buffer; true to close.</summary>
        public bool Process(ref ReadOnlySequence<byte> buffer, PipeWriter output)
        {
            _endsInWrite = 0;
            Span<byte> lineBuffer = stackalloc byte[1024];
            while (true)
            {
                if (_dataRemaining >= 0)
                {
                    long take = Math.Min(_dataRemaining, buffer.Length);
                    if (peer.Received is not null)
                    {
                        (_content ??= new MemoryStream()).Write(buffer.Slice(0, take).ToArray());
                    }

                    buffer = buffer.Slice(take);
                    _dataRemaining -= take;
                    if (_dataRemaining > 0)
                    {
                        return false;
                    }

                    _dataRemaining = -1;
                    if (!_bdatLast)
                    {
                        output.Write("250 2.0.0 Chunk ok\r\n"u8);
                        continue;
                    }

                    if (EndOfMessage(output, _accepted > 0 ? null : "554 5.5.1 No valid recipients"))
                    {
                        return true;
                    }

                    continue;
                }

                SequencePosition? end = buffer.PositionOf((byte)'\n');
                if (end is null)
                {
                    return false;
                }

                ReadOnlySequence<byte> lineWithEnd = buffer.Slice(0, buffer.GetPosition(1, end.Value));
                buffer = buffer.Slice(lineWithEnd.End);
                Span<byte> line = lineBuffer;
                int length = (int)Math.Min(lineWithEnd.Length, line.Length);
                lineWithEnd.Slice(0, length).CopyTo(line);
                line = line[..length];
                if (_inData)
                {
                    if (line.SequenceEqual(".\r\n"u8))
                    {
                        _inData = false;
                        if (EndOfMessage(output, null))
                        {
                            return true;
                        }
                    }
                    else if (peer.Received is not null)
                    {
                        ReadOnlySpan<byte> content = line[0] == (byte)'.' ? line[1..] : line;
                        (_content ??= new MemoryStream()).Write(content);
                    }

                    continue;
                }

                if (Command(line, output))
                {
                    return true;
                }
            }
        }

        private bool Command(ReadOnlySpan<byte> line, PipeWriter output)
        {
            ReadOnlySpan<byte> verb = line.Length >= 4 ? line[..4] : line;
            if (peer.Override is { } hook)
            {
                string text = Encoding.ASCII.GetString(line).TrimEnd();
                if (Ascii.EqualsIgnoreCase(verb, "MAIL"u8))
                {
                    _currentMail = text;
                }

                string? reply = hook(text, _currentMail);
                if (reply is not null)
                {
                    if (reply.Length == 0)
                    {
                        return true;
                    }

                    Track(verb, reply);
                    output.Write(Encoding.ASCII.GetBytes(reply + "\r\n"));
                    return reply.StartsWith("421", StringComparison.Ordinal);
                }
            }

            if (Ascii.EqualsIgnoreCase(verb, "EHLO"u8))
            {
                output.Write(peer._chunking
                    ? "250-peer.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-CHUNKING\r\n"u8
                    : "250-peer.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n"u8);
                foreach (string extension in peer.ExtraExtensions)
                {
                    output.Write(Encoding.ASCII.GetBytes($"250-{extension}\r\n"));
                }

                output.Write("250 SIZE 52428800\r\n"u8);
            }
            else if (Ascii.EqualsIgnoreCase(verb, "MAIL"u8))
            {
                if (_endsInWrite > 0)
                {
                    Interlocked.Increment(ref peer._mailAfterEnd);
                }

                _accepted = 0;
                if (peer.MaxMessagesPerSession is { } most && _mailsInSession >= most)
                {
                    // As OpenSMTPD's default session limit answers (100 messages there).
                    _mailSeen = false;
                    Interlocked.Increment(ref peer._sessionLimitRefusals);
                    output.Write("452 4.5.3 Too many recipients: Too many messages sent\r\n"u8);
                }
                else
                {
                    _mailsInSession++;
                    _mailSeen = true;
                    output.Write("250 2.1.0 Ok\r\n"u8);
                }
            }
            else if (Ascii.EqualsIgnoreCase(verb, "RCPT"u8))
            {
                if (!_mailSeen)
                {
                    output.Write("503 5.5.1 Error: need MAIL command\r\n"u8);
                }
                else
                {
                    _accepted++;
                    output.Write("250 2.1.5 Ok\r\n"u8);
                }
            }
            else if (Ascii.EqualsIgnoreCase(verb, "DATA"u8))
            {
                if (_mailSeen && _accepted > 0)
                {
                    _inData = true;
                    output.Write(Data354);
                }
                else
                {
                    output.Write("554 5.5.1 No valid recipients\r\n"u8);
                }
            }
            else if (Ascii.EqualsIgnoreCase(verb, "BDAT"u8))
            {
                ReadOnlySpan<byte> rest = line[5..].TrimEnd("\r\n"u8);
                int space = rest.IndexOf((byte)' ');
                if (!Utf8Parser.TryParse(space < 0 ? rest : rest[..space], out long size, out _))
                {
                    output.Write("501 5.5.4 Bad chunk size\r\n"u8);
                    return false;
                }

                _bdatLast = space >= 0;
                _dataRemaining = size;
            }
            else if (Ascii.EqualsIgnoreCase(verb, "RSET"u8))
            {
                _mailSeen = false;
                _accepted = 0;
                output.Write("250 2.0.0 Ok\r\n"u8);
            }
            else if (Ascii.EqualsIgnoreCase(verb, "NOOP"u8))
            {
                output.Write("250 2.0.0 Ok\r\n"u8);
            }
            else if (Ascii.EqualsIgnoreCase(verb, "QUIT"u8))
            {
                output.Write("221 2.0.0 Bye\r\n"u8);
                return true;
            }
            else
            {
                output.Write("500 5.5.2 Unknown command\r\n"u8);
            }

            return false;
        }

        private void Track(ReadOnlySpan<byte> verb, string reply)
        {
            bool ok = reply.StartsWith('2') || reply.StartsWith('3');
            if (Ascii.EqualsIgnoreCase(verb, "MAIL"u8))
            {
                _mailSeen = ok;
                _accepted = 0;
            }
            else if (Ascii.EqualsIgnoreCase(verb, "RCPT"u8) && ok)
            {
                _accepted++;
            }
            else if (Ascii.EqualsIgnoreCase(verb, "DATA"u8) && reply.StartsWith("354", StringComparison.Ordinal))
            {
                _inData = true;
            }
        }

        /// <summary>The reply to an end of data; an override hook sees it as the line "." (or "BDAT-END").</summary>
        private bool EndOfMessage(PipeWriter output, string? refusal)
        {
            _mailSeen = false;
            _endsInWrite++;
            int most;
            while ((most = Volatile.Read(ref peer._mostEnds)) < _endsInWrite && Interlocked.CompareExchange(ref peer._mostEnds, _endsInWrite, most) != most)
            {
            }

            bool hadRecipients = _accepted > 0;
            _accepted = 0;
            byte[]? content = _content?.ToArray();
            _content?.SetLength(0);
            if (peer.Override is { } hook && hook(".", _currentMail) is { } replaced)
            {
                if (replaced.Length == 0)
                {
                    return true;
                }

                output.Write(Encoding.ASCII.GetBytes(replaced + "\r\n"));
                if (replaced.StartsWith("250", StringComparison.Ordinal))
                {
                    Accept(content);
                }

                return replaced.StartsWith("421", StringComparison.Ordinal);
            }

            if (refusal is not null || !hadRecipients)
            {
                output.Write(Encoding.ASCII.GetBytes((refusal ?? "554 5.5.1 No valid recipients") + "\r\n"));
                return false;
            }

            Span<byte> reply = output.GetSpan(64);
            "250 2.0.0 Ok: queued as "u8.CopyTo(reply);
            int at = "250 2.0.0 Ok: queued as "u8.Length;
            Utf8Formatter.TryFormat(Interlocked.Increment(ref peer._queueId), reply[at..], out int written, new StandardFormat('X'));
            "\r\n"u8.CopyTo(reply[(at + written)..]);
            output.Advance(at + written + 2);
            Accept(content);
            return false;
        }

        private void Accept(byte[]? content)
        {
            Interlocked.Increment(ref peer._messages);
            if (peer.Received is { } received && content is not null)
            {
                lock (received)
                {
                    received.Add(content);
                }
            }
        }
    }

    /// <summary>The client's end: a stream over two pipes whose reads and writes allocate nothing in steady state.</summary>
    private sealed class PipeStream(PipeReader reader, PipeWriter writer, PipeSmtpPeer peer) : Stream
    {
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (true)
            {
                ReadResult read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                if (read.Buffer.IsEmpty && read.IsCompleted)
                {
                    reader.AdvanceTo(read.Buffer.End);
                    return 0;
                }

                if (read.Buffer.IsEmpty)
                {
                    reader.AdvanceTo(read.Buffer.End);
                    continue;
                }

                int count = (int)Math.Min(buffer.Length, read.Buffer.Length);
                read.Buffer.Slice(0, count).CopyTo(buffer.Span);
                reader.AdvanceTo(read.Buffer.GetPosition(count));
                return count;
            }
        }

        // Writes are buffered and reach the peer on FlushAsync, so one flush of the client is one write the peer
        // sees whole: what the client sends together is seen together, whatever the thread timing.
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            writer.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            if (peer.ThrowOnFlush is { } failing && Interlocked.Increment(ref peer._flushes) == failing)
            {
                throw new InvalidOperationException("injected: the stream failed in a way streams should not");
            }

            ValueTask<FlushResult> flush = writer.FlushAsync(cancellationToken);
            if (!flush.IsCompletedSuccessfully)
            {
                return AwaitFlushAsync(flush);
            }

            return flush.Result.IsCompleted ? Task.FromException(new IOException("The peer closed the connection.")) : Task.CompletedTask;
        }

        public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

        private static async Task AwaitFlushAsync(ValueTask<FlushResult> flush)
        {
            if ((await flush.ConfigureAwait(false)).IsCompleted)
            {
                throw new IOException("The peer closed the connection.");
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                reader.Complete();
                writer.Complete();
            }

            base.Dispose(disposing);
        }
    }
}
