using SmtpCodec.Client;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Client;

/// <summary>
/// Where idle workers wait (<see cref="WorkerParking"/>, <see cref="WorkerSignal"/>): a queued message wakes exactly
/// one of them, the stop wakes all, a timer wakes one for a due retry or NOOP, and no message is left in the queue
/// while every worker sleeps.
/// </summary>
public sealed class WorkerParkingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AQueuedMessageWakesExactlyOneParkedWorkerAndTheStopWakesTheRest()
    {
        var parking = new WorkerParking(3);
        WorkerSignal[] signals = [new(), new(), new()];
        var waits = new Task<bool>[3];
        for (int i = 0; i < 3; i++)
        {
            waits[i] = signals[i].Arm().AsTask();
            parking.Add(signals[i]);
        }

        parking.WakeOne();
        Assert.Equal(1, signals.Count(s => !s.Listed));
        await Task.WhenAny(waits).WaitAsync(Patience);
        await Task.Delay(100);
        Assert.Equal(1, waits.Count(w => w.IsCompleted));

        parking.WakeAll();
        foreach (Task<bool> wait in waits)
        {
            Assert.True(await wait.WaitAsync(Patience), "a worker woken by work or the stop reads true");
        }

        Assert.All(signals, s => Assert.False(s.Listed));
        parking.WakeOne();
        foreach (WorkerSignal signal in signals)
        {
            signal.Dispose();
        }
    }

    [Fact]
    public async Task AWakeUpGoesToAWorkerStillWaitingNotToOneThatTookItsSignalBack()
    {
        var parking = new WorkerParking(2);
        using var busy = new WorkerSignal();
        using var idle = new WorkerSignal();
        Task<bool> neverWoken = busy.Arm().AsTask();
        parking.Add(busy);
        Task<bool> waiting = idle.Arm().AsTask();
        parking.Add(idle);

        // The first found work by itself and took its signal back, but is still listed when a message comes.
        Assert.True(busy.Disarm());
        parking.WakeOne();
        parking.WakeOne();

        Assert.True(await waiting.WaitAsync(Patience));
        Assert.False(busy.Wake(byWork: true), "a disarmed signal is not woken");
        Assert.False(neverWoken.IsCompleted);
        Assert.False(idle.Disarm(), "a woken signal cannot be taken back");
    }

    [Fact]
    public async Task TheTimerWakesTheSignalWithFalseAndAStoppedTimerDoesNotCutTheNextWaitShort()
    {
        using var signal = new WorkerSignal();
        Task<bool> first = signal.Arm().AsTask();
        signal.WakeAfter(TimeSpan.FromMilliseconds(20));
        Assert.False(await first.WaitAsync(Patience), "the timer's wake-up reads false");
        signal.StopTimer();

        Task<bool> second = signal.Arm().AsTask();
        signal.WakeAfter(TimeSpan.FromMilliseconds(50));
        signal.StopTimer();
        await Task.Delay(200);
        Assert.False(second.IsCompleted, "the stopped timer woke the signal");
        Assert.True(signal.Wake(byWork: true));
        Assert.True(await second.WaitAsync(Patience));
    }

    [Fact]
    public async Task ARemovedSignalIsNotWokenAndRemovingTwiceChangesNothing()
    {
        var parking = new WorkerParking(2);
        using var a = new WorkerSignal();
        using var b = new WorkerSignal();
        Task<bool> waitA = a.Arm().AsTask();
        Task<bool> waitB = b.Arm().AsTask();
        parking.Add(a);
        parking.Add(b);
        parking.Remove(a);
        parking.Remove(a);
        parking.WakeOne();

        Assert.True(await waitB.WaitAsync(Patience));
        await Task.Delay(100);
        Assert.False(waitA.IsCompleted);
        Assert.True(a.Disarm());
    }

    /// <summary>
    /// Four connections, callers that submit in bursts and pause, so that workers park and wake all the time: a
    /// wake-up lost between a worker's last look at the queue and its parking would leave a message waiting for
    /// the 30 s NOOP timer, past this test's deadline.
    /// </summary>
    [Fact]
    public async Task NoMessageWaitsInTheQueueWhileEveryWorkerSleeps()
    {
        var peer = new PipeSmtpPeer();
        await using var sender = new SmtpSender(SmtpSenderStreamingTests.Options(peer, chunking: false) with { Connections = 4 });
        var envelope = new SmtpEnvelope("sender@example.com", "recipient@example.com");
        ReadOnlyMemory<byte> message = SmtpSenderStreamingTests.Message(1);

        async Task<int> CallerAsync(int seed)
        {
            var random = new Random(seed);
            int accepted = 0;
            for (int burst = 0; burst < 60; burst++)
            {
                int size = random.Next(1, 6);
                var pending = new Task<SmtpDelivery>[size];
                for (int i = 0; i < size; i++)
                {
                    pending[i] = sender.SendAsync(envelope, message).AsTask();
                }

                foreach (Task<SmtpDelivery> pendingDelivery in pending)
                {
                    SmtpDelivery delivery = await pendingDelivery.WaitAsync(TimeSpan.FromSeconds(10));
                    Assert.True(delivery.Accepted, delivery.Error);
                    accepted++;
                }

                if (random.Next(4) == 0)
                {
                    await Task.Delay(1);
                }
            }

            return accepted;
        }

        int[] counts = await Task.WhenAll(Enumerable.Range(0, 6).Select(seed => Task.Run(() => CallerAsync(seed)))).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(peer.Accepted, counts.Sum());
    }
}
