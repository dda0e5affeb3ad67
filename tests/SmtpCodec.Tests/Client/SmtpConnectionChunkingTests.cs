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

    [Fact]
    public async Task ALargeMessageIsPipelinedAsSeveralChunksBeforeTheRepliesAreRead()
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
            SmtpSendResult result = await c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), message);
            Assert.Equal("2.0.0 queued as BIG", result.Reply.Text);
            await c.QuitAsync();
        });

        Assert.Equal(message, server.Chunks.SelectMany(c => c).ToArray());
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
            await c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), message);
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
            SmtpReplyException error = await Assert.ThrowsAsync<SmtpReplyException>(() => c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), message));
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
}
