using SmtpCodec.Client;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Client;

/// <summary>EnqueueAsync returns once a message is queued, so a producer loop is bounded by QueueCapacity alone.</summary>
public sealed class SmtpSenderBackPressureTests
{
    [Fact]
    public async Task AProducerLoopWaitsForRoomAndNotForDeliveries()
    {
        var peer = new PipeSmtpPeer();
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        const int capacity = 4;
        SmtpSenderOptions options = SmtpSenderStreamingTests.Options(peer, chunking: false) with
        {
            QueueCapacity = capacity,
            ConnectAsync = async token =>
            {
                await open.Task.WaitAsync(TimeSpan.FromSeconds(30), token);
                return await SmtpConnection.OpenAsync(peer.Connect(), "peer.test", SmtpSenderStreamingTests.ConnectionOptions(chunking: false), token);
            },
        };
        await using var sender = new SmtpSender(options);

        // No connection yet: the worker holds one message, the queue the next four; the sixth waits for room.
        var deliveries = new List<ValueTask<SmtpDelivery>>();
        for (int i = 0; i < capacity + 1; i++)
        {
            ValueTask<SmtpQueuedMessage> enqueue = sender.EnqueueAsync(new SmtpEnvelope("a@test", "b@test"), SmtpSenderStreamingTests.Message(i));
            deliveries.Add((await enqueue.AsTask().WaitAsync(TimeSpan.FromSeconds(10))).Delivery);
        }

        ValueTask<SmtpQueuedMessage> blocked = sender.EnqueueAsync(new SmtpEnvelope("a@test", "b@test"), SmtpSenderStreamingTests.Message(99));
        await Task.Delay(200);
        Assert.False(blocked.IsCompleted);
        Assert.All(deliveries, d => Assert.False(d.IsCompleted));

        open.SetResult();
        deliveries.Add((await blocked.AsTask().WaitAsync(TimeSpan.FromSeconds(10))).Delivery);
        foreach (ValueTask<SmtpDelivery> delivery in deliveries)
        {
            SmtpDelivery end = await delivery.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(end.Accepted, end.Error);
        }

        Assert.Equal(capacity + 2, peer.Accepted);
        Assert.Equal(capacity + 2, sender.AcceptedCount + sender.FailedCount);
    }

    [Fact]
    public async Task AMessageCancelledWhileWaitingForRoomEndsCancelledAndCounted()
    {
        var peer = new PipeSmtpPeer();
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        SmtpSenderOptions options = SmtpSenderStreamingTests.Options(peer, chunking: false) with
        {
            QueueCapacity = 1,
            ConnectAsync = async token =>
            {
                await open.Task.WaitAsync(TimeSpan.FromSeconds(30), token);
                return await SmtpConnection.OpenAsync(peer.Connect(), "peer.test", SmtpSenderStreamingTests.ConnectionOptions(chunking: false), token);
            },
        };
        await using var sender = new SmtpSender(options);
        SmtpQueuedMessage first = await sender.EnqueueAsync(new SmtpEnvelope("a@test", "b@test"), SmtpSenderStreamingTests.Message(1));
        SmtpQueuedMessage second = await sender.EnqueueAsync(new SmtpEnvelope("a@test", "b@test"), SmtpSenderStreamingTests.Message(2)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        using var cancel = new CancellationTokenSource();
        ValueTask<SmtpQueuedMessage> third = sender.EnqueueAsync(new SmtpEnvelope("a@test", "b@test"), SmtpSenderStreamingTests.Message(3), cancel.Token);
        Assert.False(third.IsCompleted);

        cancel.Cancel();
        SmtpDelivery cancelled = await (await third.AsTask().WaitAsync(TimeSpan.FromSeconds(10))).Delivery;
        Assert.Equal(SmtpFailureReason.Cancelled, cancelled.Reason);

        open.SetResult();
        Assert.True((await first.Delivery).Accepted);
        Assert.True((await second.Delivery).Accepted);
        Assert.Equal(2, sender.AcceptedCount);
        Assert.Equal(1, sender.FailedCount);
    }
}
