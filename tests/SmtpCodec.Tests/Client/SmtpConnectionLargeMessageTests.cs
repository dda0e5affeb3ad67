using System.Text;
using SmtpCodec.Client;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Client;

/// <summary>A message far larger than any buffer streams through with bounded memory.</summary>
[Collection(SerialTestGroup.Name)]
public sealed class SmtpConnectionLargeMessageTests
{
    [Fact]
    public async Task ALargeStreamedMessageGoesThroughWithBoundedMemory()
    {
        // Far larger than any buffer: holding the message (or a copy of it) would show as at least its size.
        const int size = 64 * 1024 * 1024;
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send("250-mx.test\r\n250 PIPELINING\r\n")
            .Expect("MAIL FROM:<you@example.com>").Expect("RCPT TO:<a@example.com>").Expect("DATA")
            .Send("250 Ok\r\n250 Ok\r\n354 go\r\n")
            .ExpectContentCountingBytes().Send("250 2.0.0 queued\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        await SmtpConnectionTests.RunAsync(server, async connection =>
        {
            // Process-wide (the send hops threads); this class runs alone, and the server allocates nothing per byte.
            long before = GC.GetTotalAllocatedBytes(precise: true);
            SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), new RepeatingLineStream(size));
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

            Assert.Equal(250, result.Reply.Code);
            // Process-wide counts take in whatever else runs; a quarter of the size still proves nothing holds the message.
            Assert.True(allocated < size / 4, $"sending {size} bytes allocated {allocated} bytes");
            await connection.QuitAsync();
        });

        // The last line is cut short, so the client ends it with CRLF before the terminator.
        Assert.Equal(size + 2, server.ContentLengths.Single());
    }

    /// <summary>A stream of 76-character CRLF lines produced on the fly, never held in memory whole.</summary>
    private sealed class RepeatingLineStream(long length) : Stream
    {
        private static readonly byte[] s_line = Encoding.ASCII.GetBytes(new string('x', 76) + "\r\n");
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = (int)Math.Min(count, length - _position);
            for (int i = 0; i < n; i++)
            {
                buffer[offset + i] = s_line[(int)((_position + i) % s_line.Length)];
            }

            _position += n;
            return n;
        }

        public override void Flush() => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
