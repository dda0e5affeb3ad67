using System.Diagnostics;
using SmtpCodec.Client;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Client;

/// <summary>StopAsync with a deadline, connection ids and content in the transcript, and what a pool reports about its connections.</summary>
public sealed class SmtpSenderStopTests
{
    [Fact]
    public async Task RetriesWaitingLongerThanTheDeadlineFailAsStoppedAndEveryMessageEnds()
    {
        int ends = 0;
        var attempted = new TaskCompletionSource();
        var peer = new PipeSmtpPeer
        {
            Override = (line, _) =>
            {
                if (line != ".")
                {
                    return null;
                }

                if (Interlocked.Increment(ref ends) == 5)
                {
                    attempted.TrySetResult();
                }

                return "451 4.3.0 Try again later";
            },
        };
        var sender = new SmtpSender(SmtpSenderStreamingTests.Options(peer, chunking: false) with { RetryDelay = TimeSpan.FromHours(1) });
        var queued = new List<SmtpQueuedMessage>();
        for (int i = 0; i < 5; i++)
        {
            queued.Add(await sender.EnqueueAsync(new SmtpEnvelope("a@test", "b@test"), SmtpSenderStreamingTests.Message(i)));
        }

        await attempted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var clock = Stopwatch.StartNew();
        await sender.StopAsync(deadline.Token);

        // The retries' hour was cut short: each ended, after its one attempt, as stopped.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the stop took {clock.Elapsed}");
        Assert.All(queued, q => Assert.True(q.Delivery.IsCompleted));
        SmtpDelivery[] deliveries = await Task.WhenAll(queued.Select(q => q.Delivery.AsTask()));
        Assert.All(deliveries, d => Assert.Equal((SmtpFailureReason.Cancelled, 1), (d.Reason, d.Attempts)));
        Assert.All(deliveries, d => Assert.Contains("shutdown deadline", d.Error, StringComparison.Ordinal));
        Assert.Equal((0, 5), (sender.AcceptedCount, sender.FailedCount));
        Assert.Equal(0, sender.OpenConnections);
    }

    [Fact]
    public async Task AStopWhoseDeadlineNeverComesDeliversEverything()
    {
        var peer = new PipeSmtpPeer();
        var sender = new SmtpSender(SmtpSenderStreamingTests.Options(peer, chunking: true) with { Connections = 2 });
        var queued = new List<SmtpQueuedMessage>();
        for (int i = 0; i < 50; i++)
        {
            queued.Add(await sender.EnqueueAsync(new SmtpEnvelope("a@test", "b@test"), SmtpSenderStreamingTests.Message(i)));
        }

        using var never = new CancellationTokenSource();
        await sender.StopAsync(never.Token);

        Assert.All(await Task.WhenAll(queued.Select(q => q.Delivery.AsTask())), d => Assert.True(d.Accepted, d.Error));
        Assert.Equal(50, peer.Accepted);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TranscriptLinesCarryTheConnectionIdAndContentOnlyWhenAsked(bool includeContent)
    {
        var peer = new PipeSmtpPeer();
        var lines = new List<SmtpTranscriptLine>();
        SmtpConnectionOptions options = SmtpSenderStreamingTests.ConnectionOptions(chunking: false);
        options.Transcript = lines.Add;
        options.TranscriptIncludesContent = includeContent;
        await using SmtpConnection first = await SmtpConnection.OpenAsync(peer.Connect(), "peer.test", options);
        await using SmtpConnection second = await SmtpConnection.OpenAsync(peer.Connect(), "peer.test", options);
        await first.SendAsync(new SmtpEnvelope("a@test", "b@test"), SmtpSenderStreamingTests.Message(1));
        await first.QuitAsync();
        await second.QuitAsync();

        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal(lines.Count, lines.Count(l => l.ConnectionId == first.Id) + lines.Count(l => l.ConnectionId == second.Id));
        Assert.Contains(lines, l => l.ConnectionId == second.Id && l.Text == "QUIT");
        List<string> session = [.. lines.Where(l => l.ConnectionId == first.Id).Select(l => l.ToString())];
        int data = session.IndexOf("C: DATA");
        int quit = session.IndexOf("C: QUIT");
        string[] content = [.. session.Skip(data + 1).Take(quit - data - 1).Where(l => !l.StartsWith("S: ", StringComparison.Ordinal))];
        if (includeContent)
        {
            Assert.Contains("C: Subject: streamed", content);
            Assert.Contains("C: ..a line that starts with a dot", content);
        }
        else
        {
            Assert.Equal(["* message content sent (not shown)", "C: ."], content);
        }

        Assert.Equal("C: .", content[^1]);
    }

    [Fact]
    public async Task AFailedOpeningIsReportedToTheCallbackAndKeptAsTheLastFailure()
    {
        var failures = new List<SmtpConnectionFailure>();
        var sender = new SmtpSender(new SmtpSenderOptions
        {
            Connections = 1,
            MaxAttempts = 1,
            ConnectAsync = _ => throw new SmtpException(SmtpPhase.Connect, "Cannot connect to peer.test: refused", isTransient: true),
            ConnectionFailed = failure =>
            {
                lock (failures)
                {
                    failures.Add(failure);
                }
            },
        });
        Assert.Null(sender.LastConnectionFailure);

        await Assert.ThrowsAsync<SmtpException>(() => sender.OpenConnectionsAsync());
        SmtpDelivery delivery = await sender.SendAsync(new SmtpEnvelope("a@test", "b@test"), SmtpSenderStreamingTests.Message(1));
        await sender.StopAsync();

        Assert.Equal(SmtpFailureReason.TransientFailuresExhausted, delivery.Reason);
        Assert.Equal(2, failures.Count);
        Assert.All(failures, f => Assert.False(f.BreakerOpened));
        Assert.Equal("Cannot connect to peer.test: refused", sender.LastConnectionFailure?.Message);
        Assert.NotNull(sender.LastConnectionFailureTime);
        Assert.Equal(0, sender.OpenConnections);
    }
}
