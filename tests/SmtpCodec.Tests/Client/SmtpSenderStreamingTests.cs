using System.Text;
using SmtpCodec.Client;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Client;

/// <summary>
/// The pool's streamed path against an in-memory peer that answers pipelined batches: messages back to back
/// with DATA (content, terminator and the next message's commands in one write) and with BDAT (whole
/// messages ahead of their replies, up to a window), and what becomes of each message when replies go wrong.
/// </summary>
public sealed class SmtpSenderStreamingTests
{
    [Fact]
    public async Task WithDataTheNextMessagesCommandsGoInTheSameWriteAsTheContent()
    {
        var peer = new PipeSmtpPeer { Received = [] };
        const int count = 50;
        (SmtpDelivery[] deliveries, _) = await SendAllQueuedFirstAsync(peer, count, chunking: false);

        Assert.All(deliveries, d => Assert.True(d.Accepted, d.Error));
        Assert.All(deliveries, d => Assert.Equal(1, d.Attempts));
        Assert.StartsWith("2.0.0 Ok: queued as ", deliveries[0].Reply.Text, StringComparison.Ordinal);
        Assert.Equal(count, peer.Accepted);
        Assert.Equal(1, peer.Connections);

        // Every message after the first began in the write that ended the one before it.
        Assert.Equal(count - 1, peer.MailAfterEndInSameWrite);
        AssertReceivedAsSent(peer, count);
    }

    [Fact]
    public async Task WithChunkingWholeMessagesGoAheadOfTheirRepliesUpToTheWindow()
    {
        var peer = new PipeSmtpPeer(chunking: true) { Received = [] };
        const int count = 100;
        (SmtpDelivery[] deliveries, _) = await SendAllQueuedFirstAsync(peer, count, chunking: true, window: 16);

        Assert.All(deliveries, d => Assert.True(d.Accepted, d.Error));
        Assert.Equal(count, peer.Accepted);
        Assert.Equal(16, peer.MostMessagesInOneWrite);
        AssertReceivedAsSent(peer, count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RefusedRecipientsAreReportedAndTheOthersGetTheMessage(bool chunking)
    {
        var peer = new PipeSmtpPeer(chunking) { Override = (line, _) => line.Contains("<nobody@", StringComparison.Ordinal) ? "550 5.1.1 No such user" : null };
        await using var sender = new SmtpSender(Options(peer, chunking));
        SmtpDelivery delivery = await sender.SendAsync(new SmtpEnvelope("a@test", "b@test", "nobody@test", "c@test"), Message(1));
        SmtpDelivery next = await sender.SendAsync(new SmtpEnvelope("a@test", "d@test"), Message(2));

        Assert.True(delivery.Accepted, delivery.Error);
        SmtpRecipientResult refused = Assert.Single(delivery.RefusedRecipients!);
        Assert.Equal("nobody@test", refused.Address);
        Assert.Equal(550, refused.Reply.Code);
        Assert.True(next.Accepted, next.Error);
        Assert.Null(next.RefusedRecipients);
        Assert.Equal(2, peer.Accepted);
    }

    [Fact]
    public async Task EveryRecipientRefusedAfterA354SendsTheLoneTerminatorAndTheStreamGoesOn()
    {
        var seen = new List<string>();
        var peer = new PipeSmtpPeer
        {
            Override = (line, mail) =>
            {
                lock (seen)
                {
                    seen.Add(line);
                }

                // The peer answers DATA with 354 even though it refused every recipient (RFC 2920 section 3.1 allows it).
                bool doomed = mail?.Contains("doomed@", StringComparison.Ordinal) == true;
                return doomed && line.StartsWith("RCPT", StringComparison.Ordinal) ? "550 5.1.1 No such user"
                    : doomed && line == "DATA" ? "354 Go ahead"
                    : doomed && line == "." ? "554 5.5.1 No valid recipients"
                    : null;
            },
        };
        (SmtpDelivery[] deliveries, _) = await SendAllQueuedFirstAsync(peer, 6, chunking: false, from: i => i == 2 ? "doomed@test" : "a@test");

        Assert.Equal(SmtpFailureReason.Rejected, deliveries[2].Reason);
        Assert.Equal(550, deliveries[2].Reply.Code);
        Assert.All(deliveries.Where((_, i) => i != 2), d => Assert.True(d.Accepted, d.Error));
        Assert.Equal(5, peer.Accepted);
        int data = seen.IndexOf("DATA", seen.FindIndex(l => l.Contains("doomed@", StringComparison.Ordinal)));
        Assert.Equal(".", seen[data + 1]);
        Assert.Equal("RSET", seen[data + 2]);
    }

    [Theory]
    [InlineData("RSET")]
    [InlineData(".")]
    public async Task ARefusedMessageStaysRefusedWhenTheServerAnswersItsResetWith421(string closedAt)
    {
        // Every recipient refused (with "." a 354 came all the same, so a lone terminator goes before RSET): the
        // refusal is the message's news; a 421 to the terminator or to the RSET behind it only ends the session.
        int shutdowns = 0;
        var peer = new PipeSmtpPeer
        {
            Override = (line, mail) =>
                line == closedAt && Interlocked.Increment(ref shutdowns) == 1 ? "421 4.3.2 Shutting down"
                : mail?.Contains("doomed@", StringComparison.Ordinal) != true ? null
                : line.StartsWith("RCPT", StringComparison.Ordinal) ? "550 5.1.1 No such user"
                : line == "DATA" && closedAt == "." ? "354 Go ahead"
                : null,
        };
        await using var sender = new SmtpSender(Options(peer, chunking: false));
        SmtpDelivery refused = await sender.SendAsync(new SmtpEnvelope("doomed@test", "b@test"), Message(1));
        SmtpDelivery next = await sender.SendAsync(new SmtpEnvelope("a@test", "b@test"), Message(2));

        Assert.Equal(SmtpFailureReason.Rejected, refused.Reason);
        Assert.Equal(550, refused.Reply.Code);
        Assert.Equal(1, refused.Attempts);
        Assert.True(next.Accepted, next.Error);
        Assert.True(shutdowns >= 1);
    }

    [Fact]
    public async Task RecipientsDeferredWith452GoInAFurtherTransaction()
    {
        int deferrals = 0;
        var peer = new PipeSmtpPeer
        {
            Received = [],
            Override = (line, _) => line.Contains("<late@", StringComparison.Ordinal) && Interlocked.Increment(ref deferrals) == 1 ? "452 4.5.3 Too many recipients" : null,
        };
        await using var sender = new SmtpSender(Options(peer, chunking: false));
        SmtpDelivery delivery = await sender.SendAsync(new SmtpEnvelope("a@test", "b@test", "late@test"), Message(7));

        Assert.True(delivery.Accepted, delivery.Error);
        Assert.Null(delivery.RefusedRecipients);
        Assert.Equal(2, peer.Accepted);
        Assert.Equal(2, deferrals);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A421AtTheEndOfDataIsRetriedOnANewConnectionAndNothingIsLostOrDoubled(bool chunking)
    {
        int shutdowns = 0;
        var peer = new PipeSmtpPeer(chunking)
        {
            Received = [],
            Override = (line, mail) => line == "." && mail!.Contains("<m3@", StringComparison.Ordinal) && Interlocked.Increment(ref shutdowns) == 1
                ? "421 4.3.2 Shutting down" : null,
        };
        const int count = 12;
        (SmtpDelivery[] deliveries, _) = await SendAllQueuedFirstAsync(peer, count, chunking, from: i => $"m{i}@test");

        Assert.All(deliveries, d => Assert.True(d.Accepted, d.Error));
        Assert.Equal(2, deliveries[3].Attempts);
        Assert.Equal(count, peer.Accepted);
        Assert.True(peer.Connections >= 2);
        AssertReceivedAsSent(peer, count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AConnectionLostAfterTheEndOfDataLeavesThatMessageUnknownAndRetriesOnlyWhatIsSafe(bool chunking)
    {
        int drops = 0;
        var peer = new PipeSmtpPeer(chunking)
        {
            Received = [],
            Override = (line, mail) => line == "." && mail!.Contains("<m4@", StringComparison.Ordinal) && Interlocked.Increment(ref drops) == 1 ? "" : null,
        };
        const int count = 12;
        (SmtpDelivery[] deliveries, long acceptedCount) = await SendAllQueuedFirstAsync(peer, count, chunking, from: i => $"m{i}@test");

        Assert.Equal(SmtpFailureReason.OutcomeUnknown, deliveries[4].Reason);
        Assert.Equal(1, deliveries[4].Attempts);
        if (chunking)
        {
            // Messages behind it had their BDAT LAST written too: the server may hold any of them.
            Assert.All(deliveries.Where((d, i) => i > 4 && !d.Accepted), d => Assert.Equal(SmtpFailureReason.OutcomeUnknown, d.Reason));
        }
        else
        {
            Assert.All(deliveries.Where((_, i) => i != 4), d => Assert.True(d.Accepted, d.Error));
        }

        Assert.Equal(acceptedCount, peer.Accepted);
        Assert.Equal(count, deliveries.Length);
        Assert.Equal(peer.Received!.Count, peer.Received.Select(Encoding.ASCII.GetString).Distinct().Count());
    }

    [Fact]
    public async Task ATemporaryRefusalIsRetriedWhileTheStreamGoesOn()
    {
        int refusals = 0;
        var peer = new PipeSmtpPeer
        {
            // A temporary refusal of the recipient (a refusal of MAIL is a session limit, tested below).
            Override = (line, mail) => line.StartsWith("RCPT TO:", StringComparison.Ordinal) && mail!.Contains("<m1@", StringComparison.Ordinal)
                && Interlocked.Increment(ref refusals) == 1 ? "450 4.2.1 Mailbox busy, try again" : null,
        };
        (SmtpDelivery[] deliveries, _) = await SendAllQueuedFirstAsync(peer, 5, chunking: false, from: i => $"m{i}@test");

        Assert.All(deliveries, d => Assert.True(d.Accepted, d.Error));
        Assert.Equal(2, deliveries[1].Attempts);
        Assert.Equal(5, peer.Accepted);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnAddressThatCannotBeWrittenFailsAloneAndLeavesNoHalfTransaction(bool chunking)
    {
        var peer = new PipeSmtpPeer(chunking);
        (SmtpDelivery[] deliveries, _) = await SendAllQueuedFirstAsync(peer, 6, chunking, to: i => i == 2 ? "evil@test>\r\nRSET" : "b@test");

        Assert.Equal(SmtpFailureReason.Invalid, deliveries[2].Reason);
        Assert.Contains("control character", deliveries[2].Error, StringComparison.Ordinal);
        Assert.Contains("forwardPath", deliveries[2].Error, StringComparison.Ordinal);
        Assert.All(deliveries.Where((_, i) => i != 2), d => Assert.True(d.Accepted, d.Error));
        Assert.Equal(5, peer.Accepted);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AStreamThrowingSomethingUnexpectedLosesNoMessage(bool chunking)
    {
        var peer = new PipeSmtpPeer(chunking) { Received = [], ThrowOnFlush = 6 };
        const int count = 40;
        (SmtpDelivery[] deliveries, long accepted) = await SendAllQueuedFirstAsync(peer, count, chunking, from: i => $"m{i}@test");

        Assert.Equal(count, deliveries.Length);
        Assert.All(deliveries, d => Assert.True(d.Accepted || d.Reason == SmtpFailureReason.OutcomeUnknown, $"{d.Reason}: {d.Error}"));
        Assert.Contains(deliveries, d => d.Error?.Contains("injected", StringComparison.Ordinal) == true || d.Attempts > 1);

        // What the failed stream still held reached the peer when it closed: those are the unknown outcomes,
        // never a message delivered twice.
        int unknown = deliveries.Count(d => d.Reason == SmtpFailureReason.OutcomeUnknown);
        Assert.InRange(peer.Accepted, accepted, accepted + unknown);
        Assert.Equal(peer.Received!.Count, peer.Received.Select(Encoding.ASCII.GetString).Distinct().Count());
        Assert.True(peer.Connections >= 2);
    }

    [Fact]
    public async Task ConnectionsOpenedAheadAreTheOnesThatSend()
    {
        var peer = new PipeSmtpPeer();
        await using (var sender = new SmtpSender(Options(peer, chunking: false) with { Connections = 3 }))
        {
            await sender.OpenConnectionsAsync();
            Assert.Equal(3, peer.Connections);
            SmtpDelivery[] deliveries = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => sender.SendAsync(new SmtpEnvelope("a@test", "b@test"), Message(i)).AsTask()));
            Assert.All(deliveries, d => Assert.True(d.Accepted, d.Error));
        }

        Assert.Equal(3, peer.Connections);
        Assert.Equal(30, peer.Accepted);
        await peer.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ASessionLimitOnMailEndsTheSessionAndTheMessageGoesAtOnceOnANewOneAtNoAttempt(bool chunking)
    {
        // 452 to every MAIL after 5 per session (OpenSMTPD answers so after 100): every message gets through on
        // new connections, with no retry delay (an hour here) and no attempt spent (one allowed here).
        var peer = new PipeSmtpPeer(chunking) { Received = [], MaxMessagesPerSession = 5 };
        const int count = 500;
        SmtpSenderOptions options = Options(peer, chunking) with
        {
            Connections = 2,
            MaxAttempts = 1,
            RetryDelay = TimeSpan.FromHours(1),
            QueueCapacity = count,
        };
        await using var sender = new SmtpSender(options);
        Task<SmtpDelivery>[] pending = Enumerable.Range(0, count)
            .Select(i => sender.SendAsync(new SmtpEnvelope("a@test", "b@test"), Message(i)).AsTask())
            .ToArray();
        SmtpDelivery[] deliveries = await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.All(deliveries, d => Assert.True(d.Accepted, d.Error));
        Assert.All(deliveries, d => Assert.Equal(1, d.Attempts));
        Assert.Equal(count, sender.AcceptedCount);
        Assert.Equal(0, sender.FailedCount);
        Assert.InRange(peer.Connections, count / 5, count / 5 + 10);
        await sender.StopAsync();
        await peer.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        AssertReceivedAsSent(peer, count);
    }

    [Fact]
    public async Task AServerThatNeverTakesMailEndsTheMessageOnceItsAttemptsAreSpent()
    {
        var peer = new PipeSmtpPeer { MaxMessagesPerSession = 0 };
        SmtpSenderOptions options = Options(peer, chunking: false) with { MaxAttempts = 2, RetryDelay = TimeSpan.FromHours(1) };
        await using var sender = new SmtpSender(options);
        SmtpDelivery delivery = await sender.SendAsync(new SmtpEnvelope("a@test", "b@test"), Message(1)).AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(SmtpFailureReason.TransientFailuresExhausted, delivery.Reason);
        Assert.Equal(452, delivery.Reply.Code);
        Assert.Equal(3, peer.SessionLimitRefusals); // the first refusal is free, then two attempts
    }

    private static async Task<(SmtpDelivery[] Deliveries, long Accepted)> SendAllQueuedFirstAsync(
        PipeSmtpPeer peer, int count, bool chunking, int window = 32, Func<int, string>? from = null, Func<int, string>? to = null)
    {
        // The first connection opens only once every message is queued, so the stream never runs dry.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        SmtpSenderOptions options = Options(peer, chunking) with
        {
            ChunkingWindow = window,
            RetryDelay = TimeSpan.FromMilliseconds(10),
            QueueCapacity = count,
            ConnectAsync = async token =>
            {
                await release.Task.WaitAsync(TimeSpan.FromSeconds(30), token);
                return await SmtpConnection.OpenAsync(peer.Connect(), "peer.test", ConnectionOptions(chunking), token);
            },
        };
        var sender = new SmtpSender(options);
        var pending = new Task<SmtpDelivery>[count];
        for (int i = 0; i < count; i++)
        {
            pending[i] = sender.SendAsync(new SmtpEnvelope(from?.Invoke(i) ?? "a@test", to?.Invoke(i) ?? "b@test"), Message(i)).AsTask();
        }

        release.SetResult();
        SmtpDelivery[] deliveries = await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(60));
        long accepted = sender.AcceptedCount;
        Assert.Equal(count, accepted + sender.FailedCount);
        await sender.DisposeAsync();
        await peer.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return (deliveries, accepted);
    }

    private static void AssertReceivedAsSent(PipeSmtpPeer peer, int count)
    {
        string[] received = [.. peer.Received!.Select(Encoding.ASCII.GetString).Order(StringComparer.Ordinal)];
        string[] sent = [.. Enumerable.Range(0, count).Select(i => Encoding.ASCII.GetString(Message(i).Span)).Order(StringComparer.Ordinal)];
        Assert.Equal(sent, received);
    }

    internal static SmtpSenderOptions Options(PipeSmtpPeer peer, bool chunking) => new()
    {
        Connections = 1,
        RetryDelay = TimeSpan.FromMilliseconds(10),
        ConnectAsync = token => SmtpConnection.OpenAsync(peer.Connect(), "peer.test", ConnectionOptions(chunking), token),
    };

    internal static SmtpConnectionOptions ConnectionOptions(bool chunking) => new()
    {
        TlsMode = SmtpTlsMode.None,
        EhloName = "client.test",
        UseChunking = chunking,
    };

    /// <summary>A message with a line that needs dot-stuffing and a unique Message-ID.</summary>
    internal static ReadOnlyMemory<byte> Message(int number) => Encoding.ASCII.GetBytes(
        $"From: a@test\r\nTo: b@test\r\nMessage-ID: <{number}@test>\r\nSubject: streamed\r\n\r\nLine one.\r\n.a line that starts with a dot\r\n{new string('x', 70)}\r\n");
}
