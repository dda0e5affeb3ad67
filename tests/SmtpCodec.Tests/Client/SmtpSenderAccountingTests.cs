using SmtpCodec.Client;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Client;

/// <summary>
/// The pool's accounting and lifecycle: every message ends exactly once with the right reason and attempt
/// count (no attempt charged to a message that was not at fault, no outcome "unknown" when the server answered),
/// failures of any kind end connections and never workers, idle connections keep alive with NOOP, and a
/// pooled completion is never reused under a stale reference.
/// </summary>
public sealed class SmtpSenderAccountingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AnIdleConnectionSendsNoopEveryIntervalNotOnlyOnce()
    {
        int noops = 0;
        var peer = new PipeSmtpPeer
        {
            Override = (line, _) =>
            {
                if (line == "NOOP")
                {
                    Interlocked.Increment(ref noops);
                }

                return null;
            },
        };
        await using var sender = new SmtpSender(SmtpSenderStreamingTests.Options(peer, chunking: false) with { IdleNoopInterval = TimeSpan.FromMilliseconds(50) });
        Assert.True((await sender.SendAsync(Envelope("a@test"), SmtpSenderStreamingTests.Message(1))).Accepted);

        // Three intervals of idleness need three NOOPs; a generous deadline, never a speed assertion.
        await WaitUntilAsync(() => Volatile.Read(ref noops) >= 3, "the idle connection sent NOOP only " + Volatile.Read(ref noops) + " time(s)");
        Assert.Equal(1, peer.Connections);
    }

    [Fact]
    public async Task AnIdleNoopThatFailsUnexpectedlyClosesTheConnectionAndTheWorkerGoesOn()
    {
        var peer = new PipeSmtpPeer();
        SmtpDelivery second;
        await using (var sender = new SmtpSender(SmtpSenderStreamingTests.Options(peer, chunking: false) with { IdleNoopInterval = TimeSpan.FromMilliseconds(50) }))
        {
            Assert.True((await sender.SendAsync(Envelope("a@test"), SmtpSenderStreamingTests.Message(1))).Accepted);

            // The next flush of the client's stream is the idle NOOP's: it throws what a stream should not.
            peer.ThrowOnFlush = 1;
            await WaitUntilAsync(() => peer.FlushesCounted >= 1, "no NOOP was sent");
            second = await sender.SendAsync(Envelope("a@test"), SmtpSenderStreamingTests.Message(2)).AsTask().WaitAsync(Patience);
        }

        Assert.True(second.Accepted, second.Error);
        Assert.Equal(2, peer.Accepted);
        Assert.Equal(2, peer.Connections);
    }

    [Fact]
    public async Task StopAsyncEndsEvenWhenTheQuitFailsUnexpectedly()
    {
        var peer = new PipeSmtpPeer();
        var sender = new SmtpSender(SmtpSenderStreamingTests.Options(peer, chunking: false) with { IdleNoopInterval = TimeSpan.Zero });
        Assert.True((await sender.SendAsync(Envelope("a@test"), SmtpSenderStreamingTests.Message(1))).Accepted);

        // The next flush is the QUIT of the drain: the worker must end cleanly, and so must StopAsync.
        peer.ThrowOnFlush = 1;
        await sender.StopAsync().WaitAsync(Patience);

        Assert.True(peer.FlushesCounted >= 1, "the drain sent no QUIT");
        await peer.StopAsync().WaitAsync(Patience);
    }

    [Fact]
    public async Task AFollowUpTransactionThatFailsUnexpectedlyStillEndsTheMessage()
    {
        var peer = new PipeSmtpPeer();
        peer.Override = (line, _) =>
        {
            if (line.Contains("<late@", StringComparison.Ordinal))
            {
                return "452 4.5.3 Too many recipients";
            }

            if (line == ".")
            {
                // The client's next flush is the further transaction for the deferred recipient.
                peer.ThrowOnFlush = 1;
            }

            return null;
        };

        SmtpDelivery delivery;
        SmtpDelivery after;
        await using (var sender = new SmtpSender(SmtpSenderStreamingTests.Options(peer, chunking: false)))
        {
            delivery = await sender.SendAsync(new SmtpEnvelope("a@test", "b@test", "late@test"), SmtpSenderStreamingTests.Message(1)).AsTask().WaitAsync(Patience);
            after = await sender.SendAsync(Envelope("a@test"), SmtpSenderStreamingTests.Message(2)).AsTask().WaitAsync(Patience);
        }

        // Delivered to b@test by the first transaction; the deferred recipient could not be tried.
        Assert.True(delivery.Accepted, delivery.Error);
        Assert.Equal("late@test", Assert.Single(delivery.RefusedRecipients!).Address);
        Assert.True(after.Accepted, after.Error);
    }

    [Fact]
    public async Task MessagesRefusedWith503BehindAFailedBdatTransactionAreNotChargedAnAttempt()
    {
        // The server keeps the failed transaction until RSET: what was pipelined behind it gets 503.
        bool failed = false;
        var peer = new PipeSmtpPeer(chunking: true);
        peer.Override = (line, mail) =>
        {
            lock (peer)
            {
                if (line == "RSET")
                {
                    failed = false;
                    return null;
                }

                if (failed && (line.StartsWith("MAIL", StringComparison.Ordinal) || line.StartsWith("RCPT", StringComparison.Ordinal) || line == "."))
                {
                    return "503 5.5.1 Bad sequence of commands";
                }

                if (line == "." && mail!.Contains("<doomed@", StringComparison.Ordinal))
                {
                    failed = true;
                    return "554 5.6.0 Content refused";
                }

                return null;
            }
        };

        SmtpDelivery[] deliveries = await SendQueuedAsync(peer, chunking: true, 5, i => i == 1 ? "doomed@test" : $"m{i}@test", options => options with { MaxAttempts = 1 });

        Assert.Equal(SmtpFailureReason.Rejected, deliveries[1].Reason);
        Assert.Equal(554, deliveries[1].Reply.Code);
        Assert.All(deliveries.Where((_, i) => i != 1), d => Assert.True(d.Accepted && d.Attempts == 1, $"{d.Reason} after {d.Attempts}: {d.Error}"));
        Assert.Equal(4, peer.Accepted);
    }

    [Fact]
    public async Task AnUnwritableRecipientInALaterTransactionIsRefusedBeforeAnythingIsSent()
    {
        // LIMITS RCPTMAX=1: one transaction per recipient, through the general path.
        var peer = new PipeSmtpPeer
        {
            Override = (line, _) => line.StartsWith("EHLO", StringComparison.Ordinal)
                ? "250-peer.test\r\n250-PIPELINING\r\n250-LIMITS RCPTMAX=1\r\n250 8BITMIME"
                : null,
        };
        SmtpDelivery delivery;
        await using (var sender = new SmtpSender(SmtpSenderStreamingTests.Options(peer, chunking: false)))
        {
            delivery = await sender.SendAsync(new SmtpEnvelope("a@test", "b@test", "evil@test>\r\nRSET"), SmtpSenderStreamingTests.Message(1)).AsTask().WaitAsync(Patience);
        }

        // Reported invalid as a whole, so nobody may have it: the first transaction must not have been sent.
        Assert.Equal(SmtpFailureReason.Invalid, delivery.Reason);
        Assert.Contains("forwardPath", delivery.Error, StringComparison.Ordinal);
        Assert.Equal(0, peer.Accepted);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ATemporaryRefusalOfTheEndOfDataFollowedByALostConnectionIsRetriedNotLeftUnknown(bool chunking)
    {
        // The general path (no PIPELINING): the end of data is refused with 451, then the connection drops on RSET.
        int refusals = 0;
        int drops = 0;
        var peer = new PipeSmtpPeer(chunking)
        {
            Received = [],
            Override = (line, _) =>
                line.StartsWith("EHLO", StringComparison.Ordinal) ? (chunking ? "250-peer.test\r\n250-CHUNKING\r\n250 8BITMIME" : "250-peer.test\r\n250 8BITMIME")
                : line == "." && Interlocked.Increment(ref refusals) == 1 ? "451 4.3.0 Try again later"
                : line == "RSET" && Interlocked.Increment(ref drops) == 1 ? ""
                : null,
        };
        SmtpDelivery delivery;
        await using (var sender = new SmtpSender(SmtpSenderStreamingTests.Options(peer, chunking)))
        {
            delivery = await sender.SendAsync(Envelope("a@test"), SmtpSenderStreamingTests.Message(1)).AsTask().WaitAsync(Patience);
        }

        // The server answered the end of data: it does not hold the message, so sending it again is safe.
        Assert.True(delivery.Accepted, $"{delivery.Reason}: {delivery.Error}");
        Assert.Equal(2, delivery.Attempts);
        Assert.Equal(1, peer.Accepted);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AMessageWhoseCommandsFailToBeWrittenUnexpectedlyStillEnds(bool chunking)
    {
        // A transcript callback that throws (user code) fails the write of one message's commands on the streamed path.
        var peer = new PipeSmtpPeer(chunking) { Received = [] };
        var connection = new SmtpConnectionOptions
        {
            TlsMode = SmtpTlsMode.None,
            EhloName = "client.test",
            UseChunking = chunking,
            Transcript = line =>
            {
                if (line.Text.StartsWith("MAIL FROM:<boom@", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException("the transcript sink is closed");
                }
            },
        };
        SmtpDelivery[] deliveries = await SendQueuedAsync(peer, chunking, 4, i => i == 1 ? "boom@test" : $"m{i}@test", options => options, connection);

        Assert.False(deliveries[1].Accepted);
        Assert.Contains("the transcript sink is closed", deliveries[1].Error, StringComparison.Ordinal);

        // A message whose end of data was already in the pipe when the connection closed under it may have
        // arrived: unknown, never retried. Every other one was delivered, and none twice.
        Assert.All(deliveries.Where((_, i) => i != 1), d => Assert.True(d.Accepted || d.Reason == SmtpFailureReason.OutcomeUnknown, $"{d.Reason}: {d.Error}"));
        Assert.Contains(deliveries, d => d.Accepted);
        Assert.Equal(peer.Received!.Count, peer.Received.Select(System.Text.Encoding.ASCII.GetString).Distinct().Count());
    }

    [Fact]
    public async Task AStaleCompletionReadAgainDoesNotEndTheMessageThatReusedIt()
    {
        var peer = new PipeSmtpPeer();
        await using var sender = new SmtpSender(SmtpSenderStreamingTests.Options(peer, chunking: false));
        var operation = new DeliveryOperation(sender);
        var first = new SmtpDelivery(SmtpFailureReason.None, new SmtpResponse(250, null, "first"), 1, null);
        var second = new SmtpDelivery(SmtpFailureReason.None, new SmtpResponse(250, null, "second"), 1, null);

        operation.Prepare(Envelope("a@test"), default, default);
        var stale = new ValueTask<SmtpDelivery>(operation, operation.Version);
        operation.Complete(first);
        operation.Release(); // the worker lets go
        Assert.Equal(first, await stale); // the caller lets go: the operation is back in the pool

        operation.Prepare(Envelope("a@test"), default, default);
        var current = new ValueTask<SmtpDelivery>(operation, operation.Version);

        // A caller reading its old result again must fail alone, not release the operation now in use.
        Assert.Throws<InvalidOperationException>(() => stale.GetAwaiter().GetResult());
        operation.Complete(second);
        operation.Release();
        Assert.Equal(second, await current);
    }

    [Fact]
    public async Task AfterAConnectionFailsTheWorkerWaitsTheRetryDelayBeforeConnectingAgain()
    {
        // The server is down: without a wait, every queued message would spend its attempts in one burst of connects.
        var attempts = new List<long>();
        TimeSpan delay = TimeSpan.FromMilliseconds(300);
        var options = new SmtpSenderOptions
        {
            Connections = 1,
            MaxAttempts = 1,
            RetryDelay = delay,
            ConnectAsync = _ =>
            {
                lock (attempts)
                {
                    attempts.Add(System.Diagnostics.Stopwatch.GetTimestamp());
                }

                return Task.FromException<SmtpConnection>(new SmtpException(SmtpPhase.Connect, "Connection refused (test).", isTransient: true));
            },
        };
        SmtpDelivery[] deliveries;
        await using (var sender = new SmtpSender(options))
        {
            deliveries = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => sender.SendAsync(Envelope("a@test"), SmtpSenderStreamingTests.Message(i)).AsTask())).WaitAsync(Patience);
        }

        Assert.All(deliveries, d => Assert.Equal(SmtpFailureReason.TransientFailuresExhausted, d.Reason));
        Assert.Equal(4, attempts.Count);

        // A lower bound only (timers never fire early by more than a little), never a speed assertion.
        for (int i = 1; i < attempts.Count; i++)
        {
            TimeSpan gap = System.Diagnostics.Stopwatch.GetElapsedTime(attempts[i - 1], attempts[i]);
            Assert.True(gap >= delay * 0.8, $"connect attempt {i + 1} came {gap.TotalMilliseconds:F0} ms after the failed one before it");
        }
    }

    [Fact]
    public async Task ACancelledMessageCountsAsFailed()
    {
        var peer = new PipeSmtpPeer();
        await using var sender = new SmtpSender(SmtpSenderStreamingTests.Options(peer, chunking: false));
        SmtpDelivery cancelled = await sender.SendAsync(Envelope("a@test"), SmtpSenderStreamingTests.Message(1), new CancellationToken(canceled: true));
        SmtpDelivery sent = await sender.SendAsync(Envelope("a@test"), SmtpSenderStreamingTests.Message(2));

        // FailedCount is "messages failed so far (any reason)": every submitted message is in one of the two counts.
        Assert.Equal(SmtpFailureReason.Cancelled, cancelled.Reason);
        Assert.True(sent.Accepted, sent.Error);
        Assert.Equal(1, sender.AcceptedCount);
        Assert.Equal(1, sender.FailedCount);
    }

    [Fact]
    public async Task AMessageRefusedByAStoppedSenderIsNotCountedWhenItsTokenIsCancelledLater()
    {
        var peer = new PipeSmtpPeer();
        var sender = new SmtpSender(SmtpSenderStreamingTests.Options(peer, chunking: false));
        await sender.StopAsync();
        using var cancellation = new CancellationTokenSource();

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await sender.SendAsync(Envelope("a@test"), SmtpSenderStreamingTests.Message(1), cancellation.Token));
        await cancellation.CancelAsync();

        // The caller got an exception: the message never became a delivery, so neither count moves.
        Assert.Equal(0, sender.AcceptedCount + sender.FailedCount);
    }

    [Fact]
    public void AFailedDeliveryWithoutAReplyCanBeShown()
    {
        // A failure with no reply (a lost connection, a bad address) carries a default reply: logging it must work.
        var delivery = new SmtpDelivery(SmtpFailureReason.OutcomeUnknown, default, 1, "The server closed the connection instead of replying.");

        Assert.Equal("", delivery.Reply.Text);
        Assert.Equal("0", delivery.Reply.ToString());
        Assert.Contains("OutcomeUnknown", delivery.ToString(), StringComparison.Ordinal);
        Assert.Equal(default(SmtpResponse), new SmtpResponse(0, null, ""));
    }

    private static SmtpEnvelope Envelope(string from) => new(from, "b@test");

    private static async Task WaitUntilAsync(Func<bool> condition, string failure)
    {
        DateTime deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(10);
        }
    }

    /// <summary>Queues every message before the connection opens, so they stream together, and waits for all.</summary>
    private static async Task<SmtpDelivery[]> SendQueuedAsync(
        PipeSmtpPeer peer, bool chunking, int count, Func<int, string> from, Func<SmtpSenderOptions, SmtpSenderOptions> adjust, SmtpConnectionOptions? connection = null)
    {
        connection ??= SmtpSenderStreamingTests.ConnectionOptions(chunking);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        SmtpSenderOptions options = adjust(SmtpSenderStreamingTests.Options(peer, chunking) with
        {
            QueueCapacity = count,
            ConnectAsync = async token =>
            {
                await release.Task.WaitAsync(Patience, token);
                return await SmtpConnection.OpenAsync(peer.Connect(), "peer.test", connection, token);
            },
        });
        SmtpDelivery[] deliveries;
        await using (var sender = new SmtpSender(options))
        {
            Task<SmtpDelivery>[] pending = [.. Enumerable.Range(0, count).Select(i => sender.SendAsync(Envelope(from(i)), SmtpSenderStreamingTests.Message(i)).AsTask())];
            release.SetResult();
            deliveries = await Task.WhenAll(pending).WaitAsync(Patience);
            Assert.Equal(count, sender.AcceptedCount + sender.FailedCount);
        }

        await peer.StopAsync().WaitAsync(Patience);
        return deliveries;
    }
}
