using System.Text;
using SmtpCodec.Client;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Client;

public sealed class SmtpSenderTests
{
    [Fact]
    public async Task EveryMessageIsAcceptedOverSeveralConnections()
    {
        await using var server = new FakeSmtpServer();
        SmtpDelivery[] deliveries;
        await using (var sender = new SmtpSender(Options(server, connections: 3)))
        {
            deliveries = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => sender.SendAsync(Envelope(), Message(i)).AsTask()));
            Assert.Equal(200, sender.AcceptedCount);
            Assert.Equal(0, sender.FailedCount);
        }

        Assert.All(deliveries, d => Assert.True(d.Accepted, d.Error));
        Assert.Equal(200, server.Accepted.Distinct().Count());
        Assert.InRange(server.Connections, 1, 3);
        Assert.StartsWith("2.0.0 Ok: queued as m", deliveries[0].Reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnderInjectedFaultsEveryMessageEndsOnceAndNoneIsAcceptedTwice()
    {
        // Outcome by message number and arrival: temporary failures that pass on retry, permanent
        // refusals, connections dropped after the terminator, and 421 shutdowns.
        await using var server = new FakeSmtpServer((id, arrival) => (int.Parse(id[1..id.IndexOf('@', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture) % 10, arrival) switch
        {
            (1, 1) => FakeOutcome.Temporary,
            (2, _) => FakeOutcome.Temporary,
            (3, _) => FakeOutcome.Permanent,
            (4, 1) => FakeOutcome.DropAfterTerminator,
            (5, 1) => FakeOutcome.ShutDown,
            _ => FakeOutcome.Accept,
        });
        const int count = 300;
        SmtpDelivery[] deliveries;
        await using (var sender = new SmtpSender(Options(server, connections: 4)))
        {
            deliveries = await Task.WhenAll(Enumerable.Range(0, count).Select(i => sender.SendAsync(Envelope(), Message(i)).AsTask()));
            Assert.Equal(count, sender.AcceptedCount + sender.FailedCount);
        }

        for (int i = 0; i < count; i++)
        {
            SmtpFailureReason expected = (i % 10) switch
            {
                1 or 5 or 0 or 6 or 7 or 8 or 9 => SmtpFailureReason.None,
                2 => SmtpFailureReason.TransientFailuresExhausted,
                3 => SmtpFailureReason.Rejected,
                _ => SmtpFailureReason.OutcomeUnknown,
            };
            Assert.True(expected == deliveries[i].Reason, $"message {i}: expected {expected}, got {deliveries[i].Reason} ({deliveries[i].Error})");
        }

        string[] accepted = server.Accepted.ToArray();
        Assert.Equal(accepted.Length, accepted.Distinct().Count());
        Assert.All(deliveries.Select((d, i) => (d, i)).Where(x => x.d.Accepted), x => Assert.Contains($"m{x.i}@test", accepted));
        Assert.Equal(3, deliveries[2].Attempts);
        Assert.Equal(2, deliveries[1].Attempts);
    }

    [Fact]
    public async Task AConnectionIsReplacedAfterItsMaximumOfMessages()
    {
        await using var server = new FakeSmtpServer();
        await using (var sender = new SmtpSender(Options(server, connections: 1) with { MaxMessagesPerConnection = 5 }))
        {
            for (int i = 0; i < 20; i++)
            {
                Assert.True((await sender.SendAsync(Envelope(), Message(i))).Accepted);
            }

            Assert.Equal(4, sender.ConnectionsOpened);
        }

        Assert.Equal(4, server.Connections);
    }

    [Fact]
    public async Task AMessageCancelledBeforeItIsSentEndsAsCancelledAndIsNeverSent()
    {
        await using var server = new FakeSmtpServer();
        await using var sender = new SmtpSender(Options(server, connections: 1));

        SmtpDelivery cancelled = await sender.SendAsync(Envelope(), Message(1), new CancellationToken(canceled: true));
        SmtpDelivery sent = await sender.SendAsync(Envelope(), Message(2));

        Assert.Equal(SmtpFailureReason.Cancelled, cancelled.Reason);
        Assert.True(sent.Accepted);
        Assert.DoesNotContain("m1@test", server.Received);
    }

    [Fact]
    public async Task CancelledAndLiveMessagesInterleavedEachEndOnceAndOnlyLiveOnesAreSent()
    {
        await using var server = new FakeSmtpServer();
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

        string[] received = server.Received.ToArray();
        Assert.Equal(200, received.Length);
        Assert.Equal(200, received.Distinct().Count());
        Assert.DoesNotContain(received, id => int.Parse(id[1..id.IndexOf('@', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture) % 3 == 0);
    }

    [Fact]
    public async Task AStreamedMessageIsHeldInAPooledBufferAndSent()
    {
        await using var server = new FakeSmtpServer();
        await using var sender = new SmtpSender(Options(server, connections: 1));
        using var stream = new MemoryStream(Message(42));

        SmtpDelivery delivery = await sender.SendAsync(Envelope(), stream);

        Assert.True(delivery.Accepted, delivery.Error);
        Assert.Contains("m42@test", server.Accepted);
    }

    [Fact]
    public async Task ABadAddressFailsAsInvalidWithoutTouchingTheServer()
    {
        await using var server = new FakeSmtpServer();
        await using var sender = new SmtpSender(Options(server, connections: 1));

        SmtpDelivery delivery = await sender.SendAsync(new SmtpEnvelope("you@example.com\r\nRSET", "a@example.com"), Message(7));

        Assert.Equal(SmtpFailureReason.Invalid, delivery.Reason);
        Assert.Contains("reversePath", delivery.Error, StringComparison.Ordinal);
        Assert.Empty(server.Received);
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

    private static SmtpSenderOptions Options(FakeSmtpServer server, int connections) => new()
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
