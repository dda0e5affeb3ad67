using System.IO.Pipelines;
using System.Text;
using SmtpCodec.Client;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Client;

/// <summary>Timeouts at every phase, 421 at every step, the server closing mid-DATA, content from a pipe.</summary>
public sealed class SmtpConnectionFailureTests
{
    // Short enough to keep the suite quick, long enough that a busy CI machine still answers the other phases in time.
    private static readonly TimeSpan s_short = TimeSpan.FromSeconds(1);
    private static readonly string[] s_pieces = ["Subject: piped\r", "\n\r\n.first", " line\n", "last"];

    public static TheoryData<SmtpPhase> StallPhases() => new() { SmtpPhase.Ehlo, SmtpPhase.Mail, SmtpPhase.Rcpt, SmtpPhase.Data, SmtpPhase.EndOfData };

    [Theory]
    [MemberData(nameof(StallPhases))]
    public async Task AServerThatStopsAnsweringTimesOutInThatPhase(SmtpPhase phase)
    {
        var server = new ScriptedSmtpServer().Send("220 mx.test ESMTP\r\n").Expect("EHLO client.test");
        if (phase != SmtpPhase.Ehlo)
        {
            server.Send("250 mx.test\r\n").Expect("MAIL FROM:<you@example.com>");
        }

        if (phase is SmtpPhase.Rcpt or SmtpPhase.Data or SmtpPhase.EndOfData)
        {
            server.Send("250 Ok\r\n").Expect("RCPT TO:<a@example.com>");
        }

        if (phase is SmtpPhase.Data or SmtpPhase.EndOfData)
        {
            server.Send("250 Ok\r\n").Expect("DATA");
        }

        if (phase is SmtpPhase.EndOfData)
        {
            server.Send("354 go\r\n").ExpectContent();
        }

        server.ExpectClose();
        var options = new SmtpConnectionOptions
        {
            TlsMode = SmtpTlsMode.None,
            EhloName = "client.test",
            // Only the phase under test has a short timeout, so the ones before it cannot time out first.
            Timeouts = phase switch
            {
                SmtpPhase.Ehlo => new SmtpTimeouts { Command = s_short },
                SmtpPhase.Mail or SmtpPhase.Rcpt => new SmtpTimeouts { MailRcpt = s_short },
                SmtpPhase.Data => new SmtpTimeouts { Data = s_short },
                _ => new SmtpTimeouts { EndOfData = s_short },
            },
        };

        SmtpTimeoutException error = await Assert.ThrowsAsync<SmtpTimeoutException>(() => RunAsync(server, options, async c =>
            await c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), "hi"u8.ToArray())));

        Assert.Equal(phase, error.Phase);
        Assert.Equal(s_short, error.Timeout);

        // Once the end of data is written, a timeout leaves the message possibly delivered: never "try again".
        Assert.Equal(phase == SmtpPhase.EndOfData, error.MayHaveBeenDelivered);
        Assert.Equal(phase != SmtpPhase.EndOfData, error.IsTransient);
    }

    [Fact]
    public async Task AServerThatStopsReadingTheContentTimesOutInTheDataBlockPhase()
    {
        var release = new TaskCompletionSource();
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send("250 mx.test\r\n")
            .Expect("MAIL FROM:<you@example.com>").Send("250 Ok\r\n")
            .Expect("RCPT TO:<a@example.com>").Send("250 Ok\r\n")
            .Expect("DATA").Send("354 go\r\n")
            .Stall(release.Task);
        var options = new SmtpConnectionOptions { TlsMode = SmtpTlsMode.None, EhloName = "client.test", Timeouts = new SmtpTimeouts { DataBlock = s_short } };

        SmtpTimeoutException error = await Assert.ThrowsAsync<SmtpTimeoutException>(() => RunAsync(server, options, async c =>
        {
            try
            {
                await c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), new byte[4 * 1024 * 1024]);
            }
            finally
            {
                release.SetResult();
            }
        }));

        Assert.Equal(SmtpPhase.DataBlock, error.Phase);
    }

    public static TheoryData<SmtpPhase> ClosingPhases() => new() { SmtpPhase.Greeting, SmtpPhase.Ehlo, SmtpPhase.Mail, SmtpPhase.Rcpt, SmtpPhase.Data, SmtpPhase.EndOfData };

    [Theory]
    [MemberData(nameof(ClosingPhases))]
    public async Task A421AtEveryStepClosesTheConnectionAsATransientFailureOfThatPhase(SmtpPhase phase)
    {
        const string closing = "421 4.3.2 Service shutting down\r\n";
        var server = new ScriptedSmtpServer();
        if (phase == SmtpPhase.Greeting)
        {
            server.Send(closing);
        }
        else
        {
            server.Send("220 mx.test ESMTP\r\n").Expect("EHLO client.test").Send(phase == SmtpPhase.Ehlo ? closing : "250 mx.test\r\n");
            if (phase != SmtpPhase.Ehlo)
            {
                server.Expect("MAIL FROM:<you@example.com>").Send(phase == SmtpPhase.Mail ? closing : "250 Ok\r\n");
            }

            if (phase is SmtpPhase.Rcpt or SmtpPhase.Data or SmtpPhase.EndOfData)
            {
                server.Expect("RCPT TO:<a@example.com>").Send(phase == SmtpPhase.Rcpt ? closing : "250 Ok\r\n");
            }

            if (phase is SmtpPhase.Data or SmtpPhase.EndOfData)
            {
                server.Expect("DATA").Send(phase == SmtpPhase.Data ? closing : "354 go\r\n");
            }

            if (phase is SmtpPhase.EndOfData)
            {
                server.ExpectContent().Send(closing);
            }
        }

        server.ExpectClose();
        SmtpConnection? connection = null;
        SmtpReplyException error = await Assert.ThrowsAsync<SmtpReplyException>(() => RunAsync(server, null, async c =>
        {
            connection = c;
            await c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), "hi"u8.ToArray());
        }));

        Assert.Equal(421, error.ReplyCode);
        Assert.Equal(phase, error.Phase);
        Assert.True(error.IsTransient);
        Assert.False(connection?.IsConnected ?? false);
    }

    [Fact]
    public async Task A421ToAPipelinedMailIsReportedAsTheMailFailure()
    {
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send("250-mx.test\r\n250 PIPELINING\r\n")
            .Expect("MAIL FROM:<you@example.com>").Expect("RCPT TO:<a@example.com>").Expect("DATA")
            .Send("421 4.3.2 Shutting down\r\n")
            .ExpectClose();

        SmtpReplyException error = await Assert.ThrowsAsync<SmtpReplyException>(() => RunAsync(server, null, async c =>
            await c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), "hi"u8.ToArray())));

        Assert.Equal(421, error.ReplyCode);
        Assert.Equal(SmtpPhase.Mail, error.Phase);
    }

    [Fact]
    public async Task TheServerClosingMidDataIsTransientUnlessTheEndOfDataWasWritten()
    {
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send("250 mx.test\r\n")
            .Expect("MAIL FROM:<you@example.com>").Send("250 Ok\r\n")
            .Expect("RCPT TO:<a@example.com>").Send("250 Ok\r\n")
            .Expect("DATA").Send("354 go\r\n")
            .Close();

        SmtpException error = await Assert.ThrowsAnyAsync<SmtpException>(() => RunAsync(server, null, async c =>
            await c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), new byte[1024 * 1024])));

        Assert.True(error.Phase is SmtpPhase.DataBlock or SmtpPhase.EndOfData, $"phase {error.Phase}");

        // Failing while the content is sent is transient; failing after its end was written is not, as the server may have it.
        Assert.Equal(error.Phase == SmtpPhase.DataBlock, error.IsTransient);
        Assert.Equal(error.Phase == SmtpPhase.EndOfData, error.MayHaveBeenDelivered);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TheServerClosingAfterTheEndOfDataLeavesTheMessagePossiblyDeliveredAndNotTransient(bool chunking)
    {
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send(chunking ? "250-mx.test\r\n250 CHUNKING\r\n" : "250 mx.test\r\n")
            .Expect("MAIL FROM:<you@example.com>").Send("250 Ok\r\n")
            .Expect("RCPT TO:<a@example.com>").Send("250 Ok\r\n");
        server = chunking
            ? server.ExpectChunk(last: true).Close()
            : server.Expect("DATA").Send("354 go\r\n").Expect("hi").Expect(".").Close();

        SmtpException error = await Assert.ThrowsAnyAsync<SmtpException>(() => RunAsync(server, new SmtpConnectionOptions { TlsMode = SmtpTlsMode.None, EhloName = "client.test", UseChunking = chunking }, async c =>
            await c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), "hi\r\n"u8.ToArray())));

        Assert.True(error.MayHaveBeenDelivered);
        Assert.False(error.IsTransient);
        Assert.Equal(SmtpPhase.EndOfData, error.Phase);
    }

    [Fact]
    public async Task AReplyToTheEndOfDataIsNeverAPossibleDelivery()
    {
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send("250 mx.test\r\n")
            .Expect("MAIL FROM:<you@example.com>").Send("250 Ok\r\n")
            .Expect("RCPT TO:<a@example.com>").Send("250 Ok\r\n")
            .Expect("DATA").Send("354 go\r\n").Expect("hi").Expect(".").Send("451 4.3.0 Try later\r\n")
            .Expect("RSET").Send("250 Ok\r\n");

        SmtpReplyException error = await Assert.ThrowsAsync<SmtpReplyException>(() => RunAsync(server, null, async c =>
            await c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), "hi\r\n"u8.ToArray())));

        Assert.False(error.MayHaveBeenDelivered);
        Assert.True(error.IsTransient);
    }

    [Fact]
    public async Task ContentFromAPipeIsStuffedAsItArrives()
    {
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .Expect("EHLO client.test").Send("250 mx.test\r\n")
            .Expect("MAIL FROM:<you@example.com>").Send("250 Ok\r\n")
            .Expect("RCPT TO:<a@example.com>").Send("250 Ok\r\n")
            .Expect("DATA").Send("354 go\r\n")
            .ExpectContent().Send("250 2.0.0 queued\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");
        var pipe = new Pipe();
        Task producer = Task.Run(async () =>
        {
            foreach (string piece in s_pieces)
            {
                await pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes(piece));
                await Task.Delay(10);
            }

            await pipe.Writer.CompleteAsync();
        });

        await RunAsync(server, null, async c =>
        {
            SmtpSendResult result = await c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), pipe.Reader);
            Assert.Equal(250, result.Reply.Code);
            await c.QuitAsync();
        });
        await producer;

        Assert.Equal("Subject: piped\r\n\r\n..first line\r\nlast\r\n", Encoding.ASCII.GetString(server.Messages.Single()));
    }

    [Fact]
    public async Task AContentStreamThatFailsAfterThe354ClosesTheConnection()
    {
        // The server is in the middle of DATA: nothing else may be written on this connection, or the next
        // command would become part of the message.
        var server = AfterThe354();
        await RunAsync(server, null, async c =>
        {
            await Assert.ThrowsAsync<IOException>(() => c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), new FailingStream()));
            Assert.False(c.IsConnected);
        });
    }

    [Fact]
    public async Task CancellingWhileAPipeIsAwaitedClosesTheConnection()
    {
        // The clock starts once the 354 is out, so a slow, loaded test host cannot cancel before the DATA phase.
        using var cancel = new CancellationTokenSource();
        var server = AfterThe354(() => cancel.CancelAfter(TimeSpan.FromMilliseconds(300)));
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync("Subject: never ends\r\n"u8.ToArray());
        await RunAsync(server, null, async c =>
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), pipe.Reader, cancel.Token));
            Assert.False(c.IsConnected);
        });
    }

    [Fact]
    public async Task ACancelledPipeReadIsNoEndOfTheMessage()
    {
        // CancelPendingRead is not the writer completing: what arrived so far is part of a message, never all of it,
        // so no terminator may follow it (the server would deliver the truncated message).
        var server = AfterThe354();
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync("Subject: cut short\r\n\r\nfirst half\r\n"u8.ToArray());
        _ = Task.Delay(200).ContinueWith(_ => pipe.Reader.CancelPendingRead(), TaskScheduler.Default);
        await RunAsync(server, null, async c =>
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), pipe.Reader));
            Assert.False(c.IsConnected);
        });

        Assert.Empty(server.Messages);
    }

    /// <summary>A server that answers up to the 354, runs <paramref name="after354"/> if given, then expects the client to close.</summary>
    private static ScriptedSmtpServer AfterThe354(Action? after354 = null) => new ScriptedSmtpServer()
        .Send("220 mx.test ESMTP\r\n")
        .Expect("EHLO client.test").Send("250 mx.test\r\n")
        .Expect("MAIL FROM:<you@example.com>").Send("250 Ok\r\n")
        .Expect("RCPT TO:<a@example.com>").Send("250 Ok\r\n")
        .Expect("DATA").Send("354 go\r\n")
        .Then(after354 ?? (() => { }))
        .ExpectClose();

    private static Task RunAsync(ScriptedSmtpServer server, SmtpConnectionOptions? options, Func<SmtpConnection, Task> client) =>
        SmtpConnectionTests.RunAsync(server, client, options ?? new SmtpConnectionOptions { TlsMode = SmtpTlsMode.None, EhloName = "client.test" });

    private sealed class FailingStream : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => throw new IOException("The source disk failed.");

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromException<int>(new IOException("The source disk failed."));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
