using System.Diagnostics;
using SmtpCodec.Client;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Client;

/// <summary>A permanent connection failure stops the pool from connecting: no login storm, every message ends at once.</summary>
public sealed class SmtpSenderBreakerTests
{
    [Fact]
    public async Task AWrongPasswordCostsOneLoginPerConnectionAndEveryQueuedMessageEndsAtOnce()
    {
        int attempts = 0;
        var options = new SmtpSenderOptions
        {
            Connections = 4,
            QueueCapacity = 200,
            BreakerCoolDown = TimeSpan.FromHours(1),
            ConnectAsync = async token =>
            {
                Interlocked.Increment(ref attempts);
                await Task.Delay(50, token);
                throw new SmtpReplyException(SmtpPhase.Auth, new SmtpResponse(535, null, "5.7.8 Authentication credentials invalid"), "AUTH PLAIN");
            },
        };
        await using var sender = new SmtpSender(options);
        var clock = Stopwatch.StartNew();
        Task<SmtpDelivery>[] pending = Enumerable.Range(0, 200)
            .Select(i => sender.SendAsync(new SmtpEnvelope("a@test", "b@test"), SmtpSenderStreamingTests.Message(i)).AsTask())
            .ToArray();
        SmtpDelivery[] deliveries = await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.InRange(attempts, 1, 4);
        Assert.All(deliveries, d => Assert.Equal(SmtpFailureReason.ConnectionFailed, d.Reason));
        Assert.All(deliveries, d => Assert.Equal(535, d.Reply.Code));
        Assert.Equal(200, sender.FailedCount);
        Assert.Equal(535, Assert.IsType<SmtpReplyException>(sender.BreakerCause).ReplyCode);
        Assert.Contains(deliveries, d => d.Error!.Contains("ResetBreaker", StringComparison.Ordinal));

        // Reset by the caller: the next message connects again (and trips it again).
        sender.ResetBreaker();
        Assert.Null(sender.BreakerCause);
        SmtpDelivery again = await sender.SendAsync(new SmtpEnvelope("a@test", "b@test"), SmtpSenderStreamingTests.Message(1)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(SmtpFailureReason.ConnectionFailed, again.Reason);
        Assert.InRange(attempts, 2, 5);
    }

    [Fact]
    public async Task AfterTheCoolDownThePoolConnectsAgainAndDelivers()
    {
        var peer = new PipeSmtpPeer();
        int attempts = 0;
        var options = SmtpSenderStreamingTests.Options(peer, chunking: false) with
        {
            BreakerCoolDown = TimeSpan.FromMilliseconds(300),
            ConnectAsync = token => Interlocked.Increment(ref attempts) == 1
                ? throw new SmtpReplyException(SmtpPhase.Greeting, new SmtpResponse(554, null, "5.3.2 Not now"), "The greeting")
                : SmtpConnection.OpenAsync(peer.Connect(), "peer.test", SmtpSenderStreamingTests.ConnectionOptions(chunking: false), token),
        };
        await using var sender = new SmtpSender(options);
        SmtpDelivery first = await sender.SendAsync(new SmtpEnvelope("a@test", "b@test"), SmtpSenderStreamingTests.Message(1));
        SmtpDelivery refused = await sender.SendAsync(new SmtpEnvelope("a@test", "b@test"), SmtpSenderStreamingTests.Message(2));
        await Task.Delay(400);
        SmtpDelivery delivered = await sender.SendAsync(new SmtpEnvelope("a@test", "b@test"), SmtpSenderStreamingTests.Message(3));

        Assert.Equal(SmtpFailureReason.ConnectionFailed, first.Reason);
        Assert.Equal(SmtpFailureReason.ConnectionFailed, refused.Reason);
        Assert.True(delivered.Accepted, delivered.Error);
        Assert.Equal(2, attempts);
        Assert.Null(sender.BreakerCause);
    }

    [Fact]
    public async Task TransientConnectFailuresBackOffAndNeverOpenTheBreaker()
    {
        var peer = new PipeSmtpPeer();
        var times = new List<long>();
        var options = SmtpSenderStreamingTests.Options(peer, chunking: false) with
        {
            MaxAttempts = 4,
            RetryDelay = TimeSpan.FromMilliseconds(100),
            MaxReconnectDelay = TimeSpan.FromSeconds(1),
            ConnectAsync = token =>
            {
                lock (times)
                {
                    times.Add(Stopwatch.GetTimestamp());
                    if (times.Count < 4)
                    {
                        throw new SmtpException(SmtpPhase.Connect, "Cannot connect: connection refused", isTransient: true);
                    }
                }

                return SmtpConnection.OpenAsync(peer.Connect(), "peer.test", SmtpSenderStreamingTests.ConnectionOptions(chunking: false), token);
            },
        };
        await using var sender = new SmtpSender(options);
        SmtpDelivery delivery = await sender.SendAsync(new SmtpEnvelope("a@test", "b@test"), SmtpSenderStreamingTests.Message(1)).AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(delivery.Accepted, delivery.Error);
        Assert.Null(sender.BreakerCause);
        Assert.Equal(4, times.Count);

        // Each wait is at least the doubled delay: 100, 200 and 400 ms (jitter only adds).
        TimeSpan third = Stopwatch.GetElapsedTime(times[2], times[3]);
        Assert.True(third >= TimeSpan.FromMilliseconds(390), $"third wait {third}");
    }

    [Theory]
    [InlineData(0, 0.0, 0)]
    [InlineData(1, 0.0, 1000)]
    [InlineData(1, 0.999999, 1500)]
    [InlineData(2, 0.0, 2000)]
    [InlineData(3, 0.5, 5000)]
    [InlineData(10, 0.0, 60_000)]
    [InlineData(100, 0.999999, 90_000)]
    public void TheReconnectDelayDoublesUpToTheMostWithJitter(int failures, double random, int expectedMilliseconds)
    {
        TimeSpan delay = ConnectionBreaker.ReconnectDelay(failures, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), random);
        Assert.Equal(expectedMilliseconds, delay.TotalMilliseconds, tolerance: 1);
    }
}
