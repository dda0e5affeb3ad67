using System.Text;
using SmtpCodec.Protocol;
using SmtpCodec.Sink;

namespace SmtpCodec.Fuzz.Targets;

/// <summary>
/// <c>sink</c>: one session of the embedded sink fed the input as the client's bytes, in reads of a size the input
/// chooses, over an in-memory stream. The sink's promises: the session ends without an exception (no session
/// fault), what it sends is a run of well-formed replies (a 3-digit code, continuation lines of the same code, CRLF
/// ends), exactly one reply for each line and message end it took (a BDAT's reply after its chunk, owed still when
/// the input ends inside the chunk) plus the greeting, and it allocates within a bound proportional to the input.
/// </summary>
/// <remarks>
/// Input layout: a read size (0: the whole input in one read, else 1 to 255 bytes a read), then the client's bytes.
/// The sink offers everything but STARTTLS (TLS would make the output opaque) and AUTH with every mechanism for the
/// user <c>user</c> with the secret <c>pencil</c>; small limits (512-byte lines, 1000-byte messages, 3 recipients)
/// so that inputs reach them; no reply delay, no store, and no pause after a failed AUTH (it would only slow
/// the fuzzer down; the limit of three failures still applies).
/// </remarks>
public sealed class SinkTarget : IFuzzTarget
{
    private static readonly Lazy<SmtpSink> s_sink = new(() => SmtpSink.Start(new SmtpSinkOptions
    {
        Extensions = SmtpSinkOptions.Implemented & ~EhloExtensions.StartTls,
        AuthMechanisms = SmtpSinkOptions.ImplementedMechanisms,
        Users = new Dictionary<string, string> { ["user"] = "pencil" },
        MaxCommandLength = 512,
        MaxMessageSize = 1000,
        MaxRecipients = 3,
        AuthFailureDelay = TimeSpan.Zero,
    }));

    private long _sessions;

    /// <inheritdoc/>
    public string Name => "sink";

    /// <inheritdoc/>
    public string Description => "a sink session fed the input as client bytes: one well-formed reply per command, no session fault, bounded allocation";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        int readSize = input.IsEmpty || input[0] == 0 ? int.MaxValue : input[0];
        byte[] client = input.IsEmpty ? [] : input[1..].ToArray();
        var stream = new ScriptedStream(client, readSize);
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        long answerable;
        bool inChunk;
        using (var session = new SinkSession(s_sink.Value, stream, Interlocked.Increment(ref _sessions)))
        {
            Task run = session.RunAsync(admitted: true, CancellationToken.None);
            // Within afl-fuzz's -t: a session that hangs is reported as a crash with its input, and fuzzing goes on.
            Check.That(run.Wait(TimeSpan.FromSeconds(5)), $"the session ends within 5 s of its input's end: {Check.Show(client)}");
            answerable = session.Answerable;
            inChunk = session.InChunk;
        }

        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        byte[] sent = stream.Sent.ToArray();
        int replies = CountReplies(sent);
        long expected = 1 + answerable - (inChunk ? 1 : 0);
        Check.Equal(expected, (long)replies, $"replies for the greeting and {answerable} lines and message ends taken{(inChunk ? ", one BDAT still in its chunk" : "")}: {Check.Show(client)} -> {Check.Show(sent)}");
        long bound = (1 << 20) + (256L * client.Length);
        Check.That(allocated <= bound, $"{allocated} bytes allocated for {client.Length} input bytes (bound {bound})");
    }

    /// <summary>Counts the replies in what the sink sent, checking each line's form.</summary>
    private static int CountReplies(ReadOnlySpan<byte> sent)
    {
        int replies = 0;
        ReadOnlySpan<byte> code = default;
        while (!sent.IsEmpty)
        {
            int end = sent.IndexOf("\r\n"u8);
            Check.That(end >= 0, $"a reply line ends with CRLF: {Check.Show(sent)}");
            ReadOnlySpan<byte> line = sent[..end];
            sent = sent[(end + 2)..];
            Check.That(line.Length >= 3 && line[0] is >= (byte)'2' and <= (byte)'5' && char.IsAsciiDigit((char)line[1]) && char.IsAsciiDigit((char)line[2]), $"a reply line starts with its code: {Check.Show(line)}");
            Check.That(line.Length == 3 || line[3] is (byte)' ' or (byte)'-', $"the code is followed by a space or a hyphen: {Check.Show(line)}");
            Check.That(line.IndexOfAnyInRange((byte)0, (byte)0x1F) < 0 && Ascii.IsValid(line), $"a reply line is printable ASCII: {Check.Show(line)}");
            Check.That(code.IsEmpty || code.SequenceEqual(line[..3]), $"a multiline reply keeps its code: {Check.Show(line)}");
            if (line.Length > 3 && line[3] == '-')
            {
                code = line[..3];
                continue;
            }

            code = default;
            replies++;
        }

        Check.That(code.IsEmpty, "the last reply is complete");
        return replies;
    }

    /// <summary>The client's bytes, a read at a time; what the sink writes is kept. Every call completes at once.</summary>
    private sealed class ScriptedStream(byte[] input, int readSize) : Stream
    {
        private int _position;

        public MemoryStream Sent { get; } = new();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int count = Math.Min(Math.Min(buffer.Length, readSize), input.Length - _position);
            input.AsSpan(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override void Write(byte[] buffer, int offset, int count) => Sent.Write(buffer, offset, count);

        public override void Write(ReadOnlySpan<byte> buffer) => Sent.Write(buffer);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Sent.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Sent.Write(buffer, offset, count);
            return Task.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
