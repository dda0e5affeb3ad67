using System.Net.Sockets;
using System.Text;
using SmtpCodec.Client;
using SmtpCodec.Protocol;
using SmtpCodec.Sink;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Sink;

/// <summary>The embedded sink, driven by SmtpConnection and by raw bytes.</summary>
public sealed class SmtpSinkTests
{
    private static readonly SmtpConnectionOptions s_client = new() { TlsMode = SmtpTlsMode.None, EhloName = "client.test" };

    [Fact]
    public async Task AClientSendsPipelinedMessagesAndTheSinkCountsThem()
    {
        await using SmtpSink sink = SmtpSink.Start();
        byte[] message = Encoding.ASCII.GetBytes("Subject: hi\r\n\r\n.leading dot\r\nbody\r\n");
        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, s_client))
        {
            Assert.True(connection.Capabilities.SupportsAll(EhloExtensions.Pipelining | EhloExtensions.Chunking | EhloExtensions.Size));
            for (int i = 0; i < 100; i++)
            {
                SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com", "b@example.com"), message);
                Assert.StartsWith("2.0.0 Ok: queued as ", result.Reply.Text, StringComparison.Ordinal);
            }

            await connection.QuitAsync();
        }

        Assert.Equal(100, sink.Messages);
        Assert.Equal(100 * message.Length, sink.Bytes);
    }

    [Fact]
    public async Task BdatChunksAreCountedAsMessages()
    {
        await using SmtpSink sink = SmtpSink.Start();
        byte[] message = new byte[200_000];
        message.AsSpan().Fill((byte)'q');
        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, new SmtpConnectionOptions { TlsMode = SmtpTlsMode.None, EhloName = "client.test", UseChunking = true }))
        {
            SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), message);
            Assert.Equal(250, result.Reply.Code);
            await connection.QuitAsync();
        }

        Assert.Equal(1, sink.Messages);
        Assert.Equal(message.Length, sink.Bytes);
    }

    [Fact]
    public async Task PipelinedCommandsAreAnsweredInOrder()
    {
        await using SmtpSink sink = SmtpSink.Start();
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);

        string[] replies = await client.SendAsync("EHLO raw.test\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nRSET\r\nNOOP\r\nfrobnicate\r\nRCPT TO:<x@y.z>\r\nQUIT\r\n", 7);

        Assert.EndsWith("\n250 HELP", replies[0], StringComparison.Ordinal);
        Assert.Equal(
            ["250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.0.0 Ok", "250 2.0.0 Ok", "500 5.5.2 Syntax error, command unrecognized", "503 5.5.1 Need MAIL before RCPT"],
            replies[1..]);
    }

    [Fact]
    public async Task ABareLineFeedInTheDataIsRefusedAndTheConnectionClosed()
    {
        await using SmtpSink sink = SmtpSink.Start();
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);
        await client.SendAsync("EHLO raw.test\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n", 4);

        string[] replies = await client.SendAsync("Subject: x\r\n\r\nsmuggled\n.\r\nMAIL FROM:<evil@b.c>\r\n", 1);

        Assert.StartsWith("521 5.5.2 Bare CR or LF", replies[0], StringComparison.Ordinal);
        Assert.True(await client.IsClosedAsync());
        Assert.Equal(0, sink.Messages);
    }

    [Fact]
    public async Task ATooLongLineIsRefusedAndTheSessionGoesOn()
    {
        await using SmtpSink sink = SmtpSink.Start();
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);

        string[] replies = await client.SendAsync("NOOP " + new string('x', 5000) + "\r\nNOOP\r\n", 2);

        Assert.Equal(["500 5.5.6 Line too long", "250 2.0.0 Ok"], replies);
    }

    [Fact]
    public async Task ADeclaredSizeOverTheLimitIsRefusedBeforeTheData()
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { MaxMessageSize = 1000 });
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);

        string[] replies = await client.SendAsync("EHLO raw.test\r\nMAIL FROM:<a@b.c> SIZE=1001\r\nMAIL FROM:<a@b.c> SIZE=1000\r\n", 3);

        Assert.Contains("250-SIZE 1000", replies[0], StringComparison.Ordinal);
        Assert.Equal(["552 5.3.4 Message size exceeds fixed maximum message size", "250 2.1.0 Ok"], replies[1..]);
    }

    [Fact]
    public async Task AChunkWithoutRecipientsIsReadThenRefused()
    {
        await using SmtpSink sink = SmtpSink.Start();
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);

        string[] replies = await client.SendAsync("EHLO raw.test\r\nBDAT 5 LAST\r\nhelloNOOP\r\n", 3);

        Assert.Equal("503 5.5.1 Need MAIL and RCPT before BDAT", replies[1]);
        Assert.Equal("250 2.0.0 Ok", replies[2]);
    }

    [Fact]
    public async Task ConnectionsOverTheLimitAreTurnedAwayWith421()
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { MaxConnections = 1 });
        using var first = await RawSmtpClient.ConnectAsync(sink.EndPoint);
        using var second = new TcpClient();
        await second.ConnectAsync(sink.EndPoint);
        using var reader = new StreamReader(second.GetStream(), Encoding.ASCII);

        Assert.StartsWith("421 4.3.2", await reader.ReadLineAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RandomBytesNeverCrashTheSinkAndAClientStillGetsThrough()
    {
        await using SmtpSink sink = SmtpSink.Start();
        var random = new Random(3030);
        string[] pieces = ["EHLO x\r\n", "MAIL FROM:<a@b>\r\n", "RCPT TO:<c@d>\r\n", "DATA\r\n", "BDAT 3\r\n", "BDAT 9 LAST\r\n", ".\r\n", "\r\n", "\n", "\r", "\0", "RSET\r\n", "QUIT\r\n"];
        for (int round = 0; round < 100; round++)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(sink.EndPoint);
            var bytes = new List<byte>();
            for (int i = 0; i < 30; i++)
            {
                if (random.Next(3) == 0)
                {
                    byte[] noise = new byte[random.Next(1, 40)];
                    random.NextBytes(noise);
                    bytes.AddRange(noise);
                }
                else
                {
                    bytes.AddRange(Encoding.ASCII.GetBytes(pieces[random.Next(pieces.Length)]));
                }
            }

            try
            {
                await tcp.GetStream().WriteAsync(bytes.ToArray());
            }
            catch (IOException)
            {
                // The sink may hang up on a framing error before everything is written.
            }
        }

        await using SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, s_client);
        SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), "still alive\r\n"u8.ToArray());
        Assert.Equal(250, result.Reply.Code);
        await connection.QuitAsync();
        await sink.DisposeAsync(); // waits for every session to end
        Assert.True(sink.SessionFaults == 0, sink.LastSessionFault?.ToString());
        Assert.Equal(101, sink.Connections);
    }

    [Theory]
    [InlineData(SaslMechanism.Plain, true)]
    [InlineData(SaslMechanism.Login, false)]
    public async Task StartTlsThenAuthWithAnInMemoryCertificate(SaslMechanism mechanism, bool initialResponse)
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions
        {
            Extensions = new SmtpSinkOptions().Extensions | EhloExtensions.StartTls | EhloExtensions.Auth,
            Users = new Dictionary<string, string> { ["you@icloud.com"] = "email-me-your-favorite-color" },
        });
        var capabilities = new List<string>();
        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, new SmtpConnectionOptions
        {
            EhloName = "client.test",
            Tls = new SmtpTlsOptions { PinnedCertificate = sink.Certificate, TargetHost = "localhost" },
            Credentials = new SmtpCredentials("you@icloud.com", "email-me-your-favorite-color", mechanism),
            SendInitialResponseWithAuth = initialResponse,
            Transcript = line => capabilities.Add(line.ToString()),
        }))
        {
            Assert.True(connection.IsEncrypted);
            Assert.True(connection.IsAuthenticated);
            Assert.False(connection.Capabilities.Supports(EhloKeyword.StartTls));
            SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope("you@icloud.com", "friend@gmail.com"), "hi\r\n"u8.ToArray());
            Assert.Equal(250, result.Reply.Code);
            await connection.QuitAsync();
        }

        // Before TLS the sink offers STARTTLS and not AUTH; after it, AUTH and not STARTTLS.
        int tls = capabilities.FindIndex(l => l.StartsWith("* TLS established", StringComparison.Ordinal));
        Assert.Contains("S: 250-STARTTLS", capabilities[..tls]);
        Assert.DoesNotContain(capabilities[..tls], l => l.Contains("AUTH", StringComparison.Ordinal));
        Assert.Contains("S: 250-AUTH PLAIN LOGIN", capabilities[tls..]);
        Assert.Equal(1, sink.Messages);
    }

    [Fact]
    public async Task AWrongPasswordIsRefusedWith535()
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions
        {
            Extensions = new SmtpSinkOptions().Extensions | EhloExtensions.StartTls | EhloExtensions.Auth,
            Users = new Dictionary<string, string> { ["you@icloud.com"] = "right" },
        });

        SmtpReplyException error = await Assert.ThrowsAsync<SmtpReplyException>(() => SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, new SmtpConnectionOptions
        {
            EhloName = "client.test",
            Tls = new SmtpTlsOptions { PinnedCertificate = sink.Certificate, TargetHost = "localhost" },
            Credentials = new SmtpCredentials("you@icloud.com", "wrong"),
        }));

        Assert.Equal(535, error.ReplyCode);
        Assert.Equal("5.7.8", error.EnhancedStatusCode.ToString());
    }

    [Fact]
    public async Task CommandsPipelinedAfterStartTlsAreDiscardedNotCarriedIntoTls()
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { Extensions = new SmtpSinkOptions().Extensions | EhloExtensions.StartTls });
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);

        string[] replies = await client.SendAsync("EHLO raw.test\r\nSTARTTLS\r\nMAIL FROM:<injected@b.c>\r\n", 2);

        Assert.Equal("220 2.0.0 Ready to start TLS", replies[1]);
        Assert.Equal(0, sink.Messages);
    }

    [Fact]
    public async Task WithAReplyDelayPipelinedRepliesLeaveTogetherOneDelayAfterTheirCommands()
    {
        TimeSpan delay = TimeSpan.FromMilliseconds(400);
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { ReplyDelay = delay });
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        string[] one = await client.SendAsync("NOOP\r\n", 1);
        TimeSpan single = clock.Elapsed;
        clock.Restart();
        string[] ten = await client.SendAsync(string.Concat(Enumerable.Repeat("NOOP\r\n", 10)), 10);
        TimeSpan batch = clock.Elapsed;

        Assert.Equal("250 2.0.0 Ok", one[0]);
        Assert.All(ten, r => Assert.Equal("250 2.0.0 Ok", r));
        Assert.True(single >= delay - TimeSpan.FromMilliseconds(20), $"a reply left after {single.TotalMilliseconds} ms");
        Assert.True(batch >= delay - TimeSpan.FromMilliseconds(20), $"pipelined replies left after {batch.TotalMilliseconds} ms");

        // One after another they would take ten delays (4 s); together they take about one.
        Assert.True(batch < delay * 8, $"ten pipelined replies took {batch.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task AClientCompletesItsSessionThroughADelayedSink()
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions
        {
            ReplyDelay = TimeSpan.FromMilliseconds(20),
            Extensions = new SmtpSinkOptions().Extensions | EhloExtensions.StartTls,
        });
        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, new SmtpConnectionOptions
        {
            EhloName = "client.test",
            Tls = new SmtpTlsOptions { PinnedCertificate = sink.Certificate, TargetHost = "localhost" },
        }))
        {
            for (int i = 0; i < 5; i++)
            {
                await connection.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com", "b@example.com"), "hi\r\n"u8.ToArray());
            }

            await connection.QuitAsync();
        }

        Assert.Equal(5, sink.Messages);
    }

    [Fact]
    public void AnExtensionTheSinkDoesNotImplementCannotBeAdvertised() =>
        Assert.Throws<ArgumentException>(() => SmtpSink.Start(new SmtpSinkOptions { Extensions = EhloExtensions.Etrn }));
}
