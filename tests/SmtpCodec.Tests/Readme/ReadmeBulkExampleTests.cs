using System.Text;
using SmtpCodec.Client;
using SmtpCodec.Sink;

namespace SmtpCodec.Tests.Readme;

/// <summary>The README's "Bulk sending with SmtpSender" example, compiled and run against a loopback sink.</summary>
public sealed class ReadmeBulkExampleTests
{
    [Fact]
    public async Task TheReadmeProducerLoopEndsEveryMessageAndCountsThemExactly()
    {
        // About one message in ten is refused for good at MAIL (5xx): the loop reports it and the counts stay exact.
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { Faults = [SmtpSinkFault.Parse("MAIL:5xx=0.1")], FaultSeed = 7 });
        var options = new SmtpSenderOptions
        {
            Host = "127.0.0.1",
            Port = sink.EndPoint.Port,
            Connections = 4,
            QueueCapacity = 64,
            Connection = new SmtpConnectionOptions { TlsMode = SmtpTlsMode.None },
        };
        IEnumerable<(SmtpEnvelope, ReadOnlyMemory<byte>)> messages = Enumerable.Range(0, 500).Select(i =>
            (new SmtpEnvelope("news@example.com", $"reader{i}@example.org"), (ReadOnlyMemory<byte>)Encoding.ASCII.GetBytes($"Message-ID: <{i}@test>\r\n\r\nIssue {i}\r\n")));

        (long accepted, long failed) = await SendAllAsync(options, messages);

        Assert.Equal(500, accepted + failed);
        Assert.InRange(failed, 1, 150);
        Assert.Equal(accepted, sink.Messages);
    }

    // --- README example starts here ---
    static async Task<(long Accepted, long Failed)> SendAllAsync(SmtpSenderOptions options, IEnumerable<(SmtpEnvelope, ReadOnlyMemory<byte>)> messages)
    {
        await using var sender = new SmtpSender(options);    // connects lazily; OpenConnectionsAsync() to warm up
        var pending = new List<SmtpQueuedMessage>();
        foreach ((SmtpEnvelope envelope, ReadOnlyMemory<byte> message) in messages)
        {
            pending.Add(await sender.EnqueueAsync(envelope, message));   // waits only while QueueCapacity are queued
        }

        foreach (SmtpQueuedMessage queued in pending)
        {
            SmtpDelivery delivery = await queued.Delivery;
            if (!delivery.Accepted)
            {
                Console.Error.WriteLine($"{delivery.Reason}: {delivery.Error}");   // Rejected, OutcomeUnknown (never retry it) ...
            }
        }

        await sender.StopAsync();                            // finishes what is queued, QUITs every connection
        return (sender.AcceptedCount, sender.FailedCount);
    }
    // --- README example ends here ---
}
