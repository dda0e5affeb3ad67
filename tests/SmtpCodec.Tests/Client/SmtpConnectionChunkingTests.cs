using System.Text;
using SmtpCodec.Client;
using SmtpCodec.Protocol;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Client;

/// <summary>BDAT (RFC 3030) through SmtpConnection.</summary>
public sealed class SmtpConnectionChunkingTests
{
    private static readonly SmtpConnectionOptions s_chunking = new() { TlsMode = SmtpTlsMode.None, EhloName = "client.test", UseChunking = true };

    [Fact]
    public async Task ASmallMessageGoesAsOneLastChunkWithLineBreaksMadeCrlfAndNoStuffing()
    {
        var server = Session("250-mx.test\r\n250-PIPELINING\r\n250 CHUNKING\r\n")
            .Expect("MAIL FROM:<you@example.com>").Expect("RCPT TO:<a@example.com>")
            .Send("250 Ok\r\n250 Ok\r\n")
            .ExpectChunk(last: true).Send("250 2.0.0 queued as BDAT1\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        await RunAsync(server, async c =>
        {
            SmtpSendResult result = await c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), "Subject: x\n\n.dot\n"u8.ToArray());
            Assert.Equal("2.0.0 queued as BDAT1", result.Reply.Text);
            await c.QuitAsync();
        });

        Assert.Equal("Subject: x\r\n\r\n.dot\r\n", Encoding.ASCII.GetString(server.Chunks.Single()));
    }

    [Theory]
    [InlineData("memory")]
    [InlineData("segments")]
    [InlineData("seekable stream")]
    public async Task ALargeMessageOfKnownSizeGoesAsOneLastChunkWithOneReply(string kind)
    {
        // Several content blocks, lone LFs made CRLF: one chunk means one reply per message. Several chunks in flight
        // left several replies owed after the last byte, which a server with Nagle on (Postfix's smtpd) holds until
        // the client's delayed ACK: about 40 ms a message. CRLF lines of 99 bytes: the 32 KiB content blocks and the
        // segments below part a CR from its LF.
        string crlf = string.Concat(Enumerable.Repeat(new string('m', 97) + "\r\n", 700));
        string lf = string.Concat(Enumerable.Repeat(new string('n', 98) + "\n", 800));
        byte[] message = Encoding.ASCII.GetBytes(crlf + lf + "last\r");
        byte[] expected = Encoding.ASCII.GetBytes(crlf + lf.Replace("\n", "\r\n", StringComparison.Ordinal) + "last\r\n");
        var server = Session("250-mx.test\r\n250-PIPELINING\r\n250 CHUNKING\r\n")
            .Expect("MAIL FROM:<you@example.com>").Expect("RCPT TO:<a@example.com>")
            .Send("250 Ok\r\n250 Ok\r\n")
            .ExpectChunk(last: true).Send("250 2.0.0 queued as BIG\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        await RunAsync(server, async c =>
        {
            var envelope = new SmtpEnvelope("you@example.com", "a@example.com");
            Task<SmtpSendResult> sending = kind switch
            {
                "memory" => c.SendAsync(envelope, message),
                "segments" => c.SendAsync(envelope, Segments.Of(message[..98], message[98..70_001], message[70_001..])),
                _ => c.SendAsync(envelope, new MemoryStream(message)),
            };
            SmtpSendResult result = await sending;
            Assert.Equal("2.0.0 queued as BIG", result.Reply.Text);
            await c.QuitAsync();
        });

        Assert.Equal(expected, server.Chunks.Single());
    }

    [Fact]
    public async Task ContentOfUnknownSizeIsPipelinedAsSeveralChunksBeforeTheRepliesAreRead()
    {
        byte[] message = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(new string('m', 98) + "\r\n", 1500)));
        var server = Session("250-mx.test\r\n250-PIPELINING\r\n250 CHUNKING\r\n")
            .Expect("MAIL FROM:<you@example.com>").Expect("RCPT TO:<a@example.com>")
            .Send("250 Ok\r\n250 Ok\r\n")
            .ExpectChunk(last: false).ExpectChunk(last: false).ExpectChunk(last: true)
            .Send("250 2.0.0 chunk ok\r\n250 2.0.0 chunk ok\r\n250 2.0.0 queued as BIG\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        await RunAsync(server, async c =>
        {
            using var pipe = new UnseekableStream(message);
            SmtpSendResult result = await c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), pipe);
            Assert.Equal("2.0.0 queued as BIG", result.Reply.Text);
            await c.QuitAsync();
        });

        Assert.Equal(message, server.Chunks.SelectMany(c => c).ToArray());
    }

    [Theory]
    [InlineData("ab\r\n", "a\n\n\n")]
    [InlineData("a\n\n\n", "ab\r\n")]
    public async Task AStreamThatChangesAfterItsScanFailsTheSendBeforeItsChunkEnds(string scanned, string sent)
    {
        // The chunk's size comes from the scan before MAIL; content giving more or fewer bytes must never reach the
        // server as part of the chunk (what followed its declared size would be read as commands).
        var server = Session("250-mx.test\r\n250-PIPELINING\r\n250 CHUNKING\r\n")
            .Expect("MAIL FROM:<you@example.com>").Expect("RCPT TO:<a@example.com>")
            .Send("250 Ok\r\n250 Ok\r\n")
            .ExpectClose();

        await RunAsync(server, async c =>
        {
            using var changing = new ChangingStream(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(scanned, 1000))), Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(sent, 1000))));
            SmtpException error = await Assert.ThrowsAsync<SmtpException>(() => c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), changing));
            Assert.Contains("changed while it was sent", error.Message, StringComparison.Ordinal);
            Assert.False(error.MayHaveBeenDelivered);
            Assert.False(c.IsConnected);
        });
    }

    [Fact]
    public async Task WithoutPipeliningEachChunkWaitsForItsReply()
    {
        byte[] message = new byte[70_000];
        message.AsSpan().Fill((byte)'z');
        var server = Session("250-mx.test\r\n250 CHUNKING\r\n")
            .Expect("MAIL FROM:<you@example.com>").Send("250 Ok\r\n")
            .Expect("RCPT TO:<a@example.com>").Send("250 Ok\r\n")
            .ExpectChunk(last: false).Send("250 2.0.0 chunk ok\r\n")
            .ExpectChunk(last: true).Send("250 2.0.0 queued\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        await RunAsync(server, async c =>
        {
            using var pipe = new UnseekableStream(message);
            await c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), pipe);
            await c.QuitAsync();
        });

        Assert.Equal(70_000, server.Chunks.Sum(c => c.Length));
    }

    [Fact]
    public async Task ARefusedChunkFailsTheMessageWithItsReply()
    {
        var server = Session("250-mx.test\r\n250-PIPELINING\r\n250 CHUNKING\r\n")
            .Expect("MAIL FROM:<you@example.com>").Expect("RCPT TO:<a@example.com>")
            .Send("250 Ok\r\n250 Ok\r\n")
            .ExpectChunk(last: true).Send("552 5.3.4 Message too big\r\n")
            .Expect("RSET").Send("250 Ok\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        await RunAsync(server, async c =>
        {
            SmtpReplyException error = await Assert.ThrowsAsync<SmtpReplyException>(() => c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), "x"u8.ToArray()));
            Assert.Equal(552, error.ReplyCode);
            Assert.Equal(SmtpPhase.EndOfData, error.Phase);
            await c.QuitAsync();
        });
    }

    [Fact]
    public async Task NoFurtherChunkIsSentOnceAChunkIsRefused()
    {
        // RFC 3030 section 2: after a 4xx or 5xx to a BDAT the transaction has failed and the client must send no
        // further BDAT segment; RSET clears it.
        byte[] message = new byte[70_000];
        message.AsSpan().Fill((byte)'z');
        var server = Session("250-mx.test\r\n250 CHUNKING\r\n")
            .Expect("MAIL FROM:<you@example.com>").Send("250 Ok\r\n")
            .Expect("RCPT TO:<a@example.com>").Send("250 Ok\r\n")
            .ExpectChunk(last: false).Send("452 4.3.1 Insufficient system storage\r\n")
            .Expect("RSET").Send("250 Ok\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        await RunAsync(server, async c =>
        {
            using var pipe = new UnseekableStream(message);
            SmtpReplyException error = await Assert.ThrowsAsync<SmtpReplyException>(() => c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), pipe));
            Assert.Equal(452, error.ReplyCode);
            Assert.Equal(SmtpPhase.EndOfData, error.Phase);
            await c.QuitAsync();
        });

        Assert.Single(server.Chunks);
    }

    [Fact]
    public async Task BinaryMimeIsSentRawAndNeedsChunking()
    {
        byte[] binary = [0x00, 0x0D, 0xFF, 0x0A, 0x2E, 0x0A];
        var server = Session("250-mx.test\r\n250-BINARYMIME\r\n250 CHUNKING\r\n")
            .Expect("MAIL FROM:<you@example.com> BODY=BINARYMIME").Send("250 Ok\r\n")
            .Expect("RCPT TO:<a@example.com>").Send("250 Ok\r\n")
            .ExpectChunk(last: true).Send("250 queued\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        await RunAsync(server, async c =>
        {
            await c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com") { Body = BodyType.BinaryMime }, binary);
            await c.QuitAsync();
        }, new SmtpConnectionOptions { TlsMode = SmtpTlsMode.None, EhloName = "client.test" });

        Assert.Equal(binary, server.Chunks.Single());

        var plain = Session("250-mx.test\r\n250 BINARYMIME\r\n").Expect("QUIT").Send("221 Bye\r\n");
        await RunAsync(plain, async c =>
        {
            SmtpException error = await Assert.ThrowsAsync<SmtpException>(() => c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com") { Body = BodyType.BinaryMime }, binary));
            Assert.Contains("CHUNKING", error.Message, StringComparison.Ordinal);
            await c.QuitAsync();
        });
    }

    private static ScriptedSmtpServer Session(string ehlo) => new ScriptedSmtpServer()
        .Send("220 mx.test ESMTP\r\n")
        .Expect("EHLO client.test").Send(ehlo);

    private static Task RunAsync(ScriptedSmtpServer server, Func<SmtpConnection, Task> client, SmtpConnectionOptions? options = null) =>
        SmtpConnectionTests.RunAsync(server, client, options ?? s_chunking);

    /// <summary>A seekable stream whose bytes change once it is put back to its start (after the scan before MAIL).</summary>
    private sealed class ChangingStream(byte[] first, byte[] then) : Stream
    {
        private byte[] _bytes = first;
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => _bytes.Length;

        public override long Position
        {
            get => _position;
            set
            {
                _bytes = then;
                _position = value;
            }
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = (int)Math.Clamp(_bytes.Length - _position, 0, count);
            _bytes.AsSpan((int)_position, n).CopyTo(buffer.AsSpan(offset));
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
