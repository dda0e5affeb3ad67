using System.Globalization;
using SmtpCodec.Client;
using SmtpCodec.Protocol;

namespace SmtpCodec.IntegrationTests.Interop;

/// <summary>SmtpConnection against Postfix's smtp-sink, checked through the transactions smtp-sink dumps.</summary>
[Collection(InteropTestGroup.Name)]
public sealed class PostfixSmtpSinkInteropTests
{
    private static SmtpConnectionOptions Options(Action<SmtpTranscriptLine>? transcript = null, bool chunking = false) => new()
    {
        EhloName = "client.interop.test",
        TlsMode = SmtpTlsMode.None,      // smtp-sink has no TLS
        Transcript = transcript,
        UseChunking = chunking,
    };

    [Fact]
    public async Task FiftyPipelinedTransactionsOnOneConnectionAreDumpedWithTheirEnvelopes()
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        await using PostfixSmtpSinkPeer sink = await PostfixSmtpSinkPeer.StartAsync();
        var transcript = new List<SmtpTranscriptLine>();
        byte[][] messages = Enumerable.Range(0, 50).Select(i => InteropMessages.Small($"pipelined {i}")).ToArray();
        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.Port, Options(transcript.Add), timeout.Token))
        {
            Assert.True(connection.Capabilities.Supports(EhloKeyword.Pipelining));
            foreach (byte[] message in messages)
            {
                SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope("sender@example.com", "a@example.org", "b@example.org", "c@example.org"), message, timeout.Token);
                Assert.Equal(3, result.DeliveredCount);
                Assert.Equal("250 2.0.0 Ok", result.Reply.ToString());
            }

            await connection.QuitAsync(timeout.Token);
        }

        // Pipelined on the wire: MAIL, the RCPTs and DATA all went out before the reply to MAIL came back.
        int mail = transcript.FindIndex(l => l.Text.StartsWith("MAIL FROM:", StringComparison.Ordinal));
        Assert.Equal(
            ["C: MAIL FROM:<sender@example.com>", "C: RCPT TO:<a@example.org>", "C: RCPT TO:<b@example.org>", "C: RCPT TO:<c@example.org>", "C: DATA", "S: 250 2.1.0 Ok"],
            transcript.Skip(mail).Take(6).Select(l => l.ToString()));

        IReadOnlyList<DumpedTransaction> dumped = await sink.WaitForTransactionsAsync(messages.Length);
        Assert.Equal(messages.Length, dumped.Count);
        for (int i = 0; i < messages.Length; i++)
        {
            Assert.Equal("ESMTP", dumped[i].Protocol);
            Assert.Equal("<sender@example.com>", dumped[i].MailArgs);
            Assert.Equal(["<a@example.org>", "<b@example.org>", "<c@example.org>"], dumped[i].RcptArgs);
            Assert.Equal(InteropMessages.WithLineFeeds(messages[i]), dumped[i].Content);
        }
    }

    [Fact]
    public async Task AThousandRecipientsOfOneMessageReachSmtpSinkInOrder()
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        await using PostfixSmtpSinkPeer sink = await PostfixSmtpSinkPeer.StartAsync();
        string[] recipients = Enumerable.Range(0, 1000).Select(i => string.Create(CultureInfo.InvariantCulture, $"recipient{i:D4}@example.org")).ToArray();
        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.Port, Options(), timeout.Token))
        {
            SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope("sender@example.com", recipients), InteropMessages.Small("many recipients"), timeout.Token);
            Assert.Equal(1000, result.DeliveredCount);
            Assert.Equal(1, result.Transactions);
            await connection.QuitAsync(timeout.Token);
        }

        DumpedTransaction dumped = Assert.Single(await sink.WaitForTransactionsAsync(1));
        Assert.Equal(recipients.Select(r => $"<{r}>"), dumped.RcptArgs);
    }

    [Fact]
    public async Task ASixteenMegabyteStreamedMessageArrivesLineForLine()
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        await using PostfixSmtpSinkPeer sink = await PostfixSmtpSinkPeer.StartAsync();
        const int lines = 16 * 1024 * 1024 / GeneratedLinesStream.LineLength;
        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.Port, Options(), timeout.Token))
        {
            using var content = new GeneratedLinesStream((long)lines * GeneratedLinesStream.LineLength);
            SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope("sender@example.com", "big@example.org"), content, timeout.Token);
            Assert.Equal(250, result.Reply.Code);
            await connection.QuitAsync(timeout.Token);
        }

        DumpedTransaction dumped = Assert.Single(await sink.WaitForTransactionsAsync(1));
        string[] received = dumped.Content.Split('\n');
        Assert.Equal(lines + 1, received.Length);         // the content ends with a line break
        for (int i = 0; i < lines; i++)
        {
            if (received[i] != GeneratedLinesStream.Line(i))
            {
                Assert.Fail($"line {i}: expected \"{GeneratedLinesStream.Line(i)}\", smtp-sink has \"{received[i]}\"");
            }
        }
    }

    [Fact]
    public async Task WithoutPipeliningEachCommandWaitsForItsReply()
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        await using PostfixSmtpSinkPeer sink = await PostfixSmtpSinkPeer.StartAsync("-p");
        var transcript = new List<SmtpTranscriptLine>();
        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.Port, Options(transcript.Add), timeout.Token))
        {
            Assert.False(connection.Capabilities.Supports(EhloKeyword.Pipelining));
            for (int i = 0; i < 5; i++)
            {
                await connection.SendAsync(new SmtpEnvelope("sender@example.com", "a@example.org", "b@example.org"), InteropMessages.Small($"lock-step {i}"), timeout.Token);
            }

            await connection.QuitAsync(timeout.Token);
        }

        int mail = transcript.FindIndex(l => l.Text.StartsWith("MAIL FROM:", StringComparison.Ordinal));
        Assert.Equal(
            ["C: MAIL FROM:<sender@example.com>", "S: 250 2.1.0 Ok", "C: RCPT TO:<a@example.org>", "S: 250 2.1.5 Ok", "C: RCPT TO:<b@example.org>", "S: 250 2.1.5 Ok", "C: DATA", "S: 354 End data with <CR><LF>.<CR><LF>"],
            transcript.Skip(mail).Take(8).Select(l => l.ToString()));
        Assert.Equal(5, (await sink.WaitForTransactionsAsync(5)).Count);
    }

    [Fact]
    public async Task ASinkWithoutEsmtpGetsHeloAndPlainTransactions()
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        await using PostfixSmtpSinkPeer sink = await PostfixSmtpSinkPeer.StartAsync("-e");
        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.Port, Options(), timeout.Token))
        {
            Assert.True(connection.UsedHelo);
            await connection.SendAsync(new SmtpEnvelope("sender@example.com", "a@example.org"), InteropMessages.Small("helo"), timeout.Token);
            await connection.QuitAsync(timeout.Token);
        }

        DumpedTransaction dumped = Assert.Single(await sink.WaitForTransactionsAsync(1));
        Assert.Equal("SMTP", dumped.Protocol);
        Assert.Equal("<sender@example.com>", dumped.MailArgs);
    }

    [Fact]
    public async Task ChunkingAskedForButNotOfferedFallsBackToData()
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        await using PostfixSmtpSinkPeer sink = await PostfixSmtpSinkPeer.StartAsync();
        byte[] message = InteropMessages.Small("no chunking here");
        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.Port, Options(chunking: true), timeout.Token))
        {
            Assert.False(connection.Capabilities.Supports(EhloKeyword.Chunking));
            await connection.SendAsync(new SmtpEnvelope("sender@example.com", "a@example.org"), message, timeout.Token);
            await connection.QuitAsync(timeout.Token);
        }

        Assert.Equal(InteropMessages.WithLineFeeds(message), Assert.Single(await sink.WaitForTransactionsAsync(1)).Content);
    }

    [Fact]
    public async Task A421AfterDataFailsTheSendAsTransientAndNothingIsDumped()
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        await using PostfixSmtpSinkPeer sink = await PostfixSmtpSinkPeer.StartAsync("-Q", "DATA");
        await using SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.Port, Options(), timeout.Token);

        SmtpException failure = await Assert.ThrowsAnyAsync<SmtpException>(() => connection.SendAsync(new SmtpEnvelope("sender@example.com", "a@example.org"), InteropMessages.Small("421"), timeout.Token));

        Assert.True(failure.IsTransient, failure.ToString());
        Assert.Equal(421, failure.ReplyCode);
        Assert.False(connection.IsConnected);
        await Task.Delay(200, timeout.Token);
        Assert.Empty(await sink.WaitForTransactionsAsync(0));
    }
}
