using System.Text;
using SmtpCodec.Client;
using SmtpCodec.Sink;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Interop;

/// <summary>SmtpConnection and SmtpSender against a private Postfix smtpd, checked through Postfix's own log and queue.</summary>
[Collection(InteropTestGroup.Name)]
public sealed class PostfixSmtpdInteropTests(PostfixPeer postfix) : IClassFixture<PostfixPeer>
{
    private const string Alice = "alice@" + PostfixPeer.Domain;
    private const string Bob = "bob@" + PostfixPeer.Domain;
    private const string Hold = "hold@" + PostfixPeer.Domain;

    private static SmtpConnectionOptions Options(bool chunking = false, Action<SmtpTranscriptLine>? transcript = null, System.Net.IPEndPoint? localEndPoint = null) => new()
    {
        EhloName = "client.interop.test",
        TlsMode = SmtpTlsMode.StartTlsRequired,
        Tls = new SmtpTlsOptions { PinnedCertificate = TestCertificates.Localhost, TargetHost = "localhost" },
        UseChunking = chunking,
        Transcript = transcript,
        LocalEndPoint = localEndPoint,
    };

    [Fact]
    public async Task EightBitContentFromAFileDeclares8BitMimeOrIsRefusedBeforeMailWhereItIsNotOffered()
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        byte[] eightBit = System.Text.Encoding.UTF8.GetBytes("From: sender@example.com\r\nTo: alice@localhost.test\r\nSubject: caf\u00e9\r\n\r\nd\u00e9j\u00e0 vu\r\n");
        string path = Path.Combine(Path.GetTempPath(), $"smtpcodec-8bit-{Guid.NewGuid():N}.eml");
        await File.WriteAllBytesAsync(path, eightBit, timeout.Token);
        try
        {
            // Offered (from 127.0.0.1): the file is scanned before MAIL and BODY=8BITMIME goes with it.
            var transcript = new List<string>();
            await using (FileStream file = File.OpenRead(path))
            await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", postfix.Port, Options(transcript: l => transcript.Add(l.Text)), timeout.Token))
            {
                Assert.True(connection.Capabilities.Supports(SmtpCodec.Protocol.EhloKeyword.EightBitMime));
                SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope("sender@example.com", Alice), file, timeout.Token);
                Assert.Equal(250, result.Reply.Code);
                await connection.QuitAsync(timeout.Token);
            }

            Assert.Contains(transcript, l => l.StartsWith("MAIL FROM:", StringComparison.Ordinal) && l.Contains(" BODY=8BITMIME", StringComparison.Ordinal));

            // Not offered (Postfix discards the keyword for 127.0.0.2): refused before MAIL, nothing sent.
            SmtpConnectionOptions withoutEightBit = Options(localEndPoint: new System.Net.IPEndPoint(System.Net.IPAddress.Parse(PostfixPeer.NoEightBitClient), 0));
            await using (FileStream file = File.OpenRead(path))
            await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", postfix.Port, withoutEightBit, timeout.Token))
            {
                Assert.False(connection.Capabilities.Supports(SmtpCodec.Protocol.EhloKeyword.EightBitMime));
                SmtpException error = await Assert.ThrowsAsync<SmtpException>(() => connection.SendAsync(new SmtpEnvelope("sender@example.com", Alice), file, timeout.Token));
                Assert.Equal(SmtpPhase.Mail, error.Phase);
                Assert.Contains("needs the server to offer 8BITMIME", error.Message, StringComparison.Ordinal);
                Assert.True(connection.IsConnected);
                await connection.QuitAsync(timeout.Token);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task StartTlsWithThePinnedCertificateThenEachRecipientGetsItsOwnReply()
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        SmtpSendResult result;
        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", postfix.Port, Options(), timeout.Token))
        {
            Assert.True(connection.IsEncrypted);
            Assert.Equal(PostfixPeer.MessageSizeLimit, (long)connection.Capabilities.SizeLimit!.Value);
            var envelope = new SmtpEnvelope("sender@example.com", Alice, "nobody@" + PostfixPeer.Domain, Bob, "someone@elsewhere.test");
            result = await connection.SendAsync(envelope, InteropMessages.Small("mixed recipients"), timeout.Token);
            await connection.QuitAsync(timeout.Token);
        }

        Assert.Equal(2, result.DeliveredCount);
        Assert.Equal([true, false, true, false], result.Recipients.Select(r => r.Delivered));
        Assert.Equal(550, result.Recipients[1].Reply.Code);
        Assert.Equal("5.1.1", result.Recipients[1].Reply.EnhancedStatusCode?.ToString());
        Assert.Contains("User unknown in local recipient table", result.Recipients[1].Reply.Text, StringComparison.Ordinal);
        Assert.Equal(554, result.Recipients[3].Reply.Code);
        Assert.Contains("Relay access denied", result.Recipients[3].Reply.Text, StringComparison.Ordinal);

        // Postfix's own account: both accepted recipients reached the discard transport under the replied queue id,
        // and the session went through STARTTLS with two of four RCPTs accepted.
        string queueId = PostfixPeer.QueueIdOf(result.Reply.Text);
        string[] sent = await postfix.WaitForLogAsync(l => l.Contains($"{queueId}: to=<", StringComparison.Ordinal) && l.Contains("status=sent", StringComparison.Ordinal), 2, "two deliveries");
        Assert.Equal([$"to=<{Alice}>", $"to=<{Bob}>"], sent.Select(l => l[l.IndexOf("to=<", StringComparison.Ordinal)..l.IndexOf(',', StringComparison.Ordinal)]).Order());
        string session = await postfix.WaitForSessionEndAsync(queueId);
        Assert.Contains("starttls=1", session, StringComparison.Ordinal);
        Assert.Contains("rcpt=2/4", session, StringComparison.Ordinal);
        Assert.Contains("data=1", session, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherPinnedCertificateFailsTheHandshakeBeforeAnyMail()
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        using var stranger = SmtpSink.CreateSelfSignedCertificate("stranger.test");
        var options = new SmtpConnectionOptions
        {
            EhloName = "client.interop.test",
            Tls = new SmtpTlsOptions { PinnedCertificate = stranger, TargetHost = "localhost" },
        };

        SmtpException failure = await Assert.ThrowsAnyAsync<SmtpException>(() => SmtpConnection.ConnectAsync("127.0.0.1", postfix.Port, options, timeout.Token));

        Assert.Equal(SmtpPhase.StartTls, failure.Phase);
    }

    [Fact]
    public async Task AnEightBitBodyIsDeclaredAs8BitMimeAndQueuedByteForByte()
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        const string body = "Grüße aus Köln, café crème, ½ € — 日本語のテキスト.\r\n.Zeile mit Punkt\r\n";
        byte[] message = Encoding.UTF8.GetBytes("From: sender@example.com\r\nTo: hold@localhost.test\r\nSubject: eight bits\r\n\r\n" + body);
        SmtpSendResult result;
        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", postfix.Port, Options(), timeout.Token))
        {
            result = await connection.SendAsync(new SmtpEnvelope("sender@example.com", Hold), message, timeout.Token);
            await connection.QuitAsync(timeout.Token);
        }

        string queueId = PostfixPeer.QueueIdOf(result.Reply.Text);
        string envelope = await postfix.PostcatAsync(queueId, "-e");
        Assert.Contains("named_attribute: encoding=8bit", envelope, StringComparison.Ordinal);     // MAIL FROM ... BODY=8BITMIME
        Assert.Contains($"recipient: {Hold}", envelope, StringComparison.Ordinal);
        string queuedBody = await postfix.PostcatAsync(queueId, "-b");
        Assert.Contains(body.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n'), queuedBody, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, 5)]  // a stream of unknown size: five 64 KiB chunks
    [InlineData(true, 1)]   // memory: its size is known, one BDAT LAST chunk
    public async Task BdatChunksArriveAsOneMessageThatPostfixQueuesWhole(bool inMemory, int chunks)
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        byte[] message = InteropMessages.Lines("chunked", 4000);        // about 320 KB
        SmtpSendResult result;
        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", postfix.Port, Options(chunking: true), timeout.Token))
        {
            Assert.True(connection.Capabilities.Supports(Protocol.EhloKeyword.Chunking));
            var envelope = new SmtpEnvelope("sender@example.com", Hold);
            using var unknownSize = new UnseekableStream(message);
            result = inMemory
                ? await connection.SendAsync(envelope, message, timeout.Token)
                : await connection.SendAsync(envelope, unknownSize, timeout.Token);
            await connection.QuitAsync(timeout.Token);
        }

        string queueId = PostfixPeer.QueueIdOf(result.Reply.Text);
        string session = await postfix.WaitForSessionEndAsync(queueId);
        Assert.Contains($"bdat={chunks}", session, StringComparison.Ordinal);
        Assert.DoesNotContain("data=", session, StringComparison.Ordinal);
        string queuedBody = await postfix.PostcatAsync(queueId, "-b");
        string expected = InteropMessages.WithLineFeeds(message);
        expected = expected[(expected.IndexOf("\n\n", StringComparison.Ordinal) + 2)..].TrimEnd('\n');
        Assert.Contains(expected, queuedBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMessageOverTheAdvertisedSizeIsRefusedBeforeMailAndTheSessionGoesOn()
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        await using SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", postfix.Port, Options(), timeout.Token);
        byte[] tooLarge = InteropMessages.Lines("too large", 8000);   // about 640 KB against 500 000

        SmtpException refused = await Assert.ThrowsAnyAsync<SmtpException>(() => connection.SendAsync(new SmtpEnvelope("sender@example.com", Alice), tooLarge, timeout.Token));

        Assert.Equal(SmtpPhase.Mail, refused.Phase);
        Assert.Contains("500000", refused.Message, StringComparison.Ordinal);
        SmtpSendResult next = await connection.SendAsync(new SmtpEnvelope("sender@example.com", Alice), InteropMessages.Small("after the refusal"), timeout.Token);
        Assert.Equal(250, next.Reply.Code);
        await connection.QuitAsync(timeout.Token);
    }

    [Fact]
    public async Task AStreamOfUnknownLengthOverTheLimitIsRefusedByPostfixWith552AndTheSessionGoesOn()
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        await using SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", postfix.Port, Options(), timeout.Token);
        using var unknownLength = new GeneratedLinesStream(PostfixPeer.MessageSizeLimit + 100_000);

        SmtpReplyException refused = await Assert.ThrowsAsync<SmtpReplyException>(() => connection.SendAsync(new SmtpEnvelope("sender@example.com", Alice), unknownLength, timeout.Token));

        Assert.Equal(SmtpPhase.EndOfData, refused.Phase);
        Assert.Equal(552, refused.ReplyCode);
        Assert.Equal("5.3.4", refused.EnhancedStatusCode?.ToString());
        SmtpSendResult next = await connection.SendAsync(new SmtpEnvelope("sender@example.com", Alice), InteropMessages.Small("after 552"), timeout.Token);
        Assert.Equal(250, next.Reply.Code);
        await connection.QuitAsync(timeout.Token);
    }

    [Fact]
    public async Task TheSenderPoolDeliversEveryMessageAndPostfixDeliversEachOnce()
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        const int messages = 20;
        SmtpDelivery[] deliveries;
        await using (var sender = new SmtpSender(new SmtpSenderOptions { Host = "127.0.0.1", Port = postfix.Port, Connection = Options(), Connections = 2 }))
        {
            deliveries = await Task.WhenAll(Enumerable.Range(0, messages).Select(i =>
                sender.SendAsync(new SmtpEnvelope("sender@example.com", Alice), InteropMessages.Small($"pool {i}"), timeout.Token).AsTask()));
        }

        Assert.All(deliveries, d => Assert.True(d.Accepted, $"{d.Reason}: {d.Error} {d.Reply}"));
        string[] queueIds = deliveries.Select(d => PostfixPeer.QueueIdOf(d.Reply.Text)).ToArray();
        Assert.Equal(messages, queueIds.Distinct().Count());
        foreach (string queueId in queueIds)
        {
            string[] sent = await postfix.WaitForLogAsync(l => l.Contains($"{queueId}: to=<{Alice}>", StringComparison.Ordinal) && l.Contains("status=sent", StringComparison.Ordinal), 1, $"the delivery of {queueId}");
            Assert.Single(sent);
        }
    }
}
