using System.Text;
using SmtpCodec.Client;
using SmtpCodec.Sink;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Client;

public sealed class SmtpSenderOnSinkTests
{
    private static readonly string[] s_faultsEverywhere =
        ["EHLO:421=0.02", "MAIL:4xx=0.03", "RCPT:4xx=0.05", "RCPT:5xx=0.02", "DATA:421=0.01", "EOD:4xx=0.05", "EOD:5xx=0.03", "EOD:drop=0.02", "EOD:421=0.02"];

    [Fact]
    public async Task EveryMessageIsAcceptedOverSeveralConnections()
    {
        await using var server = StoringSink.Start();
        SmtpDelivery[] deliveries;
        await using (var sender = new SmtpSender(Options(server, connections: 3)))
        {
            deliveries = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => sender.SendAsync(Envelope(), Message(i)).AsTask()));
            Assert.Equal(200, sender.AcceptedCount);
            Assert.Equal(0, sender.FailedCount);
        }

        Assert.All(deliveries, d => Assert.True(d.Accepted, d.Error));
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"m{i}@test").Order(), server.AcceptedMessageIds().Order());
        Assert.InRange(server.Sink.Connections, 1, 3);
        Assert.StartsWith("2.0.0 Ok: queued as ", deliveries[0].Reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnderInjectedFaultsEveryMessageEndsOnceAndNoneIsAcceptedTwice()
    {
        // Faults at every step of a transaction: refusals, temporary failures that pass on retry, 421 shutdowns
        // and connections dropped after the terminator (the sender cannot know whether the message arrived).
        await using var server = StoringSink.Start(new SmtpSinkOptions
        {
            Faults = [.. s_faultsEverywhere.Select(SmtpSinkFault.Parse)],
            FaultSeed = 2920,
        });
        const int count = 300;
        SmtpDelivery[] deliveries;
        await using (var sender = new SmtpSender(Options(server, connections: 4)))
        {
            deliveries = await Task.WhenAll(Enumerable.Range(0, count).Select(i => sender.SendAsync(Envelope(), Message(i)).AsTask()));
            Assert.Equal(count, sender.AcceptedCount + sender.FailedCount);
            Assert.Equal(sender.AcceptedCount, deliveries.Count(d => d.Accepted));
        }

        Assert.All(deliveries, d => Assert.True(
            d.Reason is SmtpFailureReason.None or SmtpFailureReason.TransientFailuresExhausted or SmtpFailureReason.Rejected or SmtpFailureReason.OutcomeUnknown,
            $"{d.Reason}: {d.Error}"));

        // What the sink stored is exactly what the sender reports accepted: none lost, none twice.
        string[] stored = server.AcceptedMessageIds();
        Assert.Equal(stored.Length, stored.Distinct().Count());
        Assert.Equal(deliveries.Select((d, i) => (d, i)).Where(x => x.d.Accepted).Select(x => $"m{x.i}@test").Order(), stored.Order());
        Assert.Equal(stored.Length, server.Sink.Messages);

        // Temporary failures were retried and then went through.
        Assert.Contains(deliveries, d => d.Accepted && d.Attempts > 1);
        Assert.True(server.Sink.GetInjectedFaults(SmtpSinkFaultKind.TransientReply) > 0);
    }

    [Theory]
    [InlineData("EOD:5xx=1", SmtpFailureReason.Rejected, 1)]
    [InlineData("RCPT:5xx=1", SmtpFailureReason.Rejected, 1)]
    [InlineData("EOD:4xx=1", SmtpFailureReason.TransientFailuresExhausted, 3)]
    [InlineData("EOD:421=1", SmtpFailureReason.TransientFailuresExhausted, 3)]
    [InlineData("MAIL:421=1", SmtpFailureReason.TransientFailuresExhausted, 3)]
    [InlineData("EOD:drop=1", SmtpFailureReason.OutcomeUnknown, 1)]
    public async Task EachKindOfFaultEndsEveryMessageWithItsReason(string fault, SmtpFailureReason reason, int attempts)
    {
        await using var server = StoringSink.Start(new SmtpSinkOptions { Faults = [SmtpSinkFault.Parse(fault)], FaultSeed = 1 });
        SmtpDelivery[] deliveries;
        await using (var sender = new SmtpSender(Options(server, connections: 2)))
        {
            deliveries = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => sender.SendAsync(Envelope(), Message(i)).AsTask()));
            Assert.Equal(6, sender.FailedCount);
        }

        Assert.All(deliveries, d => Assert.True(d.Reason == reason && d.Attempts == attempts, $"{d.Reason} after {d.Attempts}: {d.Error}"));
        Assert.Empty(server.AcceptedMessageIds());
        Assert.Equal(0, server.Sink.Messages);
    }

    [Fact]
    public async Task AConnectionIsReplacedAfterItsMaximumOfMessages()
    {
        await using var server = StoringSink.Start();
        await using (var sender = new SmtpSender(Options(server, connections: 1) with { MaxMessagesPerConnection = 5 }))
        {
            for (int i = 0; i < 20; i++)
            {
                Assert.True((await sender.SendAsync(Envelope(), Message(i))).Accepted);
            }

            Assert.Equal(4, sender.ConnectionsOpened);
        }

        Assert.Equal(4, server.Sink.Connections);
    }

    [Fact]
    public async Task AMessageCancelledBeforeItIsSentEndsAsCancelledAndIsNeverSent()
    {
        await using var server = StoringSink.Start();
        await using var sender = new SmtpSender(Options(server, connections: 1));

        SmtpDelivery cancelled = await sender.SendAsync(Envelope(), Message(1), new CancellationToken(canceled: true));
        SmtpDelivery sent = await sender.SendAsync(Envelope(), Message(2));

        Assert.Equal(SmtpFailureReason.Cancelled, cancelled.Reason);
        Assert.True(sent.Accepted);
        Assert.Equal(["m2@test"], server.AcceptedMessageIds());
    }

    [Fact]
    public async Task CancelledAndLiveMessagesInterleavedEachEndOnceAndOnlyLiveOnesAreSent()
    {
        await using var server = StoringSink.Start();
        SmtpDelivery[] deliveries;
        await using (var sender = new SmtpSender(Options(server, connections: 2)))
        {
            deliveries = await Task.WhenAll(Enumerable.Range(0, 300).Select(i =>
                sender.SendAsync(Envelope(), Message(i), new CancellationToken(canceled: i % 3 == 0)).AsTask()));
        }

        for (int i = 0; i < deliveries.Length; i++)
        {
            Assert.Equal(i % 3 == 0 ? SmtpFailureReason.Cancelled : SmtpFailureReason.None, deliveries[i].Reason);
        }

        string[] received = server.AcceptedMessageIds();
        Assert.Equal(200, received.Length);
        Assert.Equal(200, received.Distinct().Count());
        Assert.DoesNotContain(received, id => int.Parse(id[1..id.IndexOf('@', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture) % 3 == 0);
    }

    [Fact]
    public async Task AStreamedMessageIsHeldInAPooledBufferAndSent()
    {
        await using var server = StoringSink.Start();
        await using var sender = new SmtpSender(Options(server, connections: 1));
        using var stream = new MemoryStream(Message(42));

        SmtpDelivery delivery = await sender.SendAsync(Envelope(), stream);

        Assert.True(delivery.Accepted, delivery.Error);
        Assert.Equal(["m42@test"], server.AcceptedMessageIds());
    }

    [Fact]
    public async Task ABadAddressFailsAsInvalidWithoutTouchingTheServer()
    {
        await using var server = StoringSink.Start();
        await using var sender = new SmtpSender(Options(server, connections: 1));

        SmtpDelivery delivery = await sender.SendAsync(new SmtpEnvelope("you@example.com\r\nRSET", "a@example.com"), Message(7));

        Assert.Equal(SmtpFailureReason.Invalid, delivery.Reason);
        Assert.Contains("reversePath", delivery.Error, StringComparison.Ordinal);
        Assert.Empty(server.AcceptedMessageIds());
        Assert.Equal(0, server.Sink.Messages);
    }

    [Fact]
    public async Task AServerThatIsNotThereFailsEachMessageAfterItsAttempts()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }

        await using var sender = new SmtpSender(new SmtpSenderOptions
        {
            Host = "127.0.0.1",
            Port = port,
            Connections = 1,
            MaxAttempts = 2,
            RetryDelay = TimeSpan.FromMilliseconds(10),
            Connection = new SmtpConnectionOptions { TlsMode = SmtpTlsMode.None },
        });

        SmtpDelivery delivery = await sender.SendAsync(Envelope(), Message(1));

        Assert.Equal(SmtpFailureReason.TransientFailuresExhausted, delivery.Reason);
        Assert.Equal(2, delivery.Attempts);
        Assert.Contains("Cannot connect", delivery.Error, StringComparison.Ordinal);
    }

    private static SmtpSenderOptions Options(StoringSink server, int connections) => new()
    {
        Host = "127.0.0.1",
        Port = server.Port,
        Connections = connections,
        QueueCapacity = 16,
        MaxAttempts = 3,
        RetryDelay = TimeSpan.FromMilliseconds(10),
        Connection = new SmtpConnectionOptions { TlsMode = SmtpTlsMode.None, EhloName = "client.test" },
    };

    private static SmtpEnvelope Envelope() => new("you@example.com", "friend@example.com");

    private static byte[] Message(int i) => Encoding.ASCII.GetBytes($"Message-ID: <m{i}@test>\r\nSubject: {i}\r\n\r\nBody {i}\r\n");
}
