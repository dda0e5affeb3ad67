using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SmtpCodec.Client;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Client;

/// <summary>
/// Spans and measures on every path a message takes, through the pool (streamed DATA, streamed BDAT, the general
/// path) and through <see cref="SmtpConnection.SendAsync(SmtpEnvelope, ReadOnlyMemory{byte}, CancellationToken)"/>.
/// Each test talks to a server name of its own and keeps only what carries that name (<see cref="TelemetryCapture"/>),
/// so tests running at the same time do not change its figures.
/// </summary>
public sealed class SmtpSenderTelemetryTests
{
    private const string Duration = "smtpcodec.client.send.duration";
    private const string Delivered = "smtpcodec.client.messages.delivered";
    private const string Failed = "smtpcodec.client.messages.failed";
    private const string Unknown = "smtpcodec.client.messages.outcome_unknown";
    private const string Retries = "smtpcodec.client.retries";
    private const string Opened = "smtpcodec.client.connections.opened";
    private const string ConnectFailures = "smtpcodec.client.connections.failed";
    private const string QueueWait = "smtpcodec.client.queue.wait_time";
    private const string Queued = "smtpcodec.client.queued_messages";
    private const string RecipientsRejected = "smtpcodec.client.recipients.rejected";

    [Theory]
    [InlineData("data")]
    [InlineData("bdat")]
    [InlineData("general")]
    public async Task TwoHundredMessagesThroughTwoConnectionsGiveTwoHundredSpansAndDurations(string path)
    {
        const int count = 200;
        string host = $"{path}.pool.telemetry.test";
        bool chunking = path == "bdat";

        // With RCPTMAX=1 a message to two recipients needs two transactions: the general path.
        var peer = new PipeSmtpPeer(chunking) { ExtraExtensions = path == "general" ? ["LIMITS RCPTMAX=1"] : [] };
        SmtpEnvelope envelope = path == "general" ? new("a@test", "b@test", "c@test") : new("a@test", "b@test");
        ReadOnlyMemory<byte> message = SmtpSenderStreamingTests.Message(1);
        using var capture = new TelemetryCapture(host);
        await using (var sender = new SmtpSender(Options(peer, host, chunking, connections: 2)))
        {
            var deliveries = new Task<SmtpDelivery>[count];
            for (int i = 0; i < count; i++)
            {
                deliveries[i] = sender.SendAsync(envelope, message).AsTask();
            }

            foreach (Task<SmtpDelivery> delivery in deliveries)
            {
                SmtpDelivery done = await delivery.WaitAsync(TimeSpan.FromMinutes(1));
                Assert.True(done.Accepted, done.Error);
            }
        }

        Assert.Equal(path == "general" ? 2 * count : count, peer.Accepted);
        await capture.UntilAsync(c => c.Spans("smtp.send").Count >= count);
        IReadOnlyList<Activity> spans = capture.Spans("smtp.send");
        Assert.Equal(count, spans.Count);
        Assert.All(spans, span =>
        {
            Assert.Equal(ActivityKind.Client, span.Kind);
            Assert.Equal(ActivityStatusCode.Unset, span.Status);
            Assert.Equal(250, span.GetTagItem("smtp.response.status_code"));
            Assert.Equal(envelope.Recipients.Count, span.GetTagItem("smtp.message.recipient_count"));
            Assert.Equal((long)message.Length, span.GetTagItem("smtp.message.size"));
            Assert.Equal(1, span.GetTagItem("smtp.message.attempts"));
            Assert.Null(span.GetTagItem("error.type"));
        });

        IReadOnlyList<TelemetryCapture.Measured> durations = capture.Of(Duration);
        Assert.Equal(count, durations.Count);
        Assert.All(durations, d => Assert.True(d.Value >= 0 && Equals(d["smtp.response.status_code"], 250) && d["error.type"] is null));
        Assert.Equal(count, capture.Sum(Delivered));
        Assert.Equal(0, capture.Sum(Failed));
        Assert.Equal(count, capture.Of(QueueWait).Count);
        Assert.Equal(peer.Connections, capture.Sum(Opened));
        Assert.InRange(peer.Connections, 1, 2);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ARefusedMessageCarriesTheFailureReasonAndTheReplyCode(bool chunking)
    {
        string host = $"refused-{chunking}.pool.telemetry.test".ToLowerInvariant();
        var peer = new PipeSmtpPeer(chunking) { Override = (line, _) => line.Contains("<nobody@", StringComparison.Ordinal) ? "550 5.1.1 No such user" : null };
        using var capture = new TelemetryCapture(host);
        await using (var sender = new SmtpSender(Options(peer, host, chunking)))
        {
            SmtpDelivery refused = await sender.SendAsync(new SmtpEnvelope("a@test", "nobody@test"), SmtpSenderStreamingTests.Message(1));
            SmtpDelivery partly = await sender.SendAsync(new SmtpEnvelope("a@test", "b@test", "nobody@test"), SmtpSenderStreamingTests.Message(2));
            Assert.Equal(SmtpFailureReason.Rejected, refused.Reason);
            Assert.True(partly.Accepted, partly.Error);
        }

        await capture.UntilAsync(c => c.Spans("smtp.send").Count >= 2);
        Activity span = Assert.Single(capture.Spans("smtp.send"), s => s.Status == ActivityStatusCode.Error);
        Assert.Equal("Rejected", span.GetTagItem("error.type"));
        Assert.Equal(550, span.GetTagItem("smtp.response.status_code"));
        TelemetryCapture.Measured failedDuration = Assert.Single(capture.Of(Duration), d => d["error.type"] is not null);
        Assert.Equal("Rejected", failedDuration["error.type"]);
        Assert.Equal(550, failedDuration["smtp.response.status_code"]);
        TelemetryCapture.Measured failed = Assert.Single(capture.Of(Failed));
        Assert.Equal(("Rejected", 550), (failed["error.type"], failed["smtp.response.status_code"]));
        Assert.Equal(1, capture.Sum(Delivered));

        // The refused recipient of the message that reached the others.
        TelemetryCapture.Measured recipient = Assert.Single(capture.Of(RecipientsRejected));
        Assert.Equal(550, recipient["smtp.response.status_code"]);
    }

    [Fact]
    public async Task TheConnectionsOwnSendRecordsTheSameSpanAndMeasures()
    {
        const string host = "direct.telemetry.test";
        var peer = new PipeSmtpPeer { Override = (line, _) => line.Contains("<nobody@", StringComparison.Ordinal) ? "550 5.1.1 No such user" : null };
        using var capture = new TelemetryCapture(host);
        await using (SmtpConnection connection = await SmtpConnection.OpenAsync(peer.Connect(), host, SmtpSenderStreamingTests.ConnectionOptions(chunking: false)))
        {
            await connection.SendAsync(new SmtpEnvelope("a@test", "b@test"), SmtpSenderStreamingTests.Message(1));
            await Assert.ThrowsAsync<SmtpReplyException>(() => connection.SendAsync(new SmtpEnvelope("a@test", "nobody@test"), SmtpSenderStreamingTests.Message(2)));
        }

        await capture.UntilAsync(c => c.Spans("smtp.send").Count >= 2);
        IReadOnlyList<Activity> spans = capture.Spans("smtp.send");
        Assert.Equal(2, spans.Count);
        Assert.Contains(spans, s => Equals(s.GetTagItem("smtp.response.status_code"), 250) && s.GetTagItem("error.type") is null);
        Assert.Contains(spans, s => Equals(s.GetTagItem("smtp.response.status_code"), 550) && Equals(s.GetTagItem("error.type"), "Rejected") && s.Status == ActivityStatusCode.Error);
        Assert.Equal(2, capture.Of(Duration).Count);
        Assert.Equal(1, capture.Sum(Delivered));
        Assert.Equal(1, capture.Sum(Failed));
        Assert.Equal(1, capture.Sum(Opened));
        Assert.Single(capture.Spans("smtp.connect"));
    }

    [Fact]
    public async Task APooledMessagesSpanIsAChildOfTheSpanItWasSubmittedUnder()
    {
        const string host = "parent.pool.telemetry.test";
        var peer = new PipeSmtpPeer();
        using var capture = new TelemetryCapture(host);
        SmtpSender sender;
        using (new Activity("creates the sender").Start())
        {
            // The workers start here: this span must not become the parent of what they send.
            sender = new SmtpSender(Options(peer, host, chunking: false));
        }

        ActivityContext submitter;
        await using (sender)
        {
            using (Activity request = new Activity("a request that sends mail").Start())
            {
                submitter = request.Context;
                Assert.True((await sender.SendAsync(new SmtpEnvelope("m0@test", "b@test"), SmtpSenderStreamingTests.Message(0))).Accepted);
            }

            Assert.Null(Activity.Current);
            Assert.True((await sender.SendAsync(new SmtpEnvelope("m1@test", "b@test"), SmtpSenderStreamingTests.Message(1))).Accepted);
        }

        await capture.UntilAsync(c => c.Spans("smtp.send").Count >= 2);
        IReadOnlyList<Activity> spans = capture.Spans("smtp.send");
        Assert.Equal(2, spans.Count);
        Activity child = Assert.Single(spans, s => s.TraceId == submitter.TraceId);
        Assert.Equal(submitter.SpanId, child.ParentSpanId);
        Activity root = Assert.Single(spans, s => s.TraceId != submitter.TraceId);
        Assert.Equal(default, root.ParentSpanId);
    }

    [Fact]
    public async Task ARetriedMessageIncrementsTheRetryCounterAndMarksItsSpan()
    {
        const string host = "retry.pool.telemetry.test";
        int refusals = 0;
        var peer = new PipeSmtpPeer
        {
            Override = (line, mail) => line.StartsWith("RCPT TO:", StringComparison.Ordinal) && mail!.Contains("<m1@", StringComparison.Ordinal)
                && Interlocked.Increment(ref refusals) == 1 ? "450 4.2.1 Mailbox busy, try again" : null,
        };
        using var capture = new TelemetryCapture(host);
        await using (var sender = new SmtpSender(Options(peer, host, chunking: false)))
        {
            for (int i = 0; i < 3; i++)
            {
                SmtpDelivery delivery = await sender.SendAsync(new SmtpEnvelope($"m{i}@test", "b@test"), SmtpSenderStreamingTests.Message(i));
                Assert.True(delivery.Accepted, delivery.Error);
            }
        }

        TelemetryCapture.Measured retry = Assert.Single(capture.Of(Retries));
        Assert.Equal(("TransientFailure", 450), (retry["error.type"], retry["smtp.response.status_code"]));
        await capture.UntilAsync(c => c.Spans("smtp.send").Count >= 3);
        Activity retried = Assert.Single(capture.Spans("smtp.send"), s => Equals(s.GetTagItem("smtp.message.attempts"), 2));
        ActivityEvent retryEvent = Assert.Single(retried.Events);
        Assert.Equal("smtp.retry", retryEvent.Name);
        Assert.Contains(retryEvent.Tags, t => t.Key == "smtp.response.status_code" && Equals(t.Value, 450));
        Assert.Null(retried.GetTagItem("error.type"));
        Assert.Equal(3, capture.Sum(Delivered));
        Assert.Equal(3, capture.Of(Duration).Count);
    }

    [Fact]
    public async Task AConnectionRefusedAtEhloCountsAConnectionFailure()
    {
        const string host = "ehlo-refused.pool.telemetry.test";
        var peer = new PipeSmtpPeer { Override = (line, _) => line.StartsWith("EHLO", StringComparison.Ordinal) ? "554 5.7.1 Not welcome" : null };
        using var capture = new TelemetryCapture(host);
        await using (var sender = new SmtpSender(Options(peer, host, chunking: false)))
        {
            SmtpDelivery delivery = await sender.SendAsync(new SmtpEnvelope("a@test", "b@test"), SmtpSenderStreamingTests.Message(1));
            Assert.Equal(SmtpFailureReason.ConnectionFailed, delivery.Reason);
        }

        TelemetryCapture.Measured failure = Assert.Single(capture.Of(ConnectFailures));
        Assert.Equal(typeof(SmtpReplyException).FullName, failure["error.type"]);
        Assert.Equal("Ehlo", failure["smtp.phase"]);
        Assert.Equal(554, failure["smtp.response.status_code"]);
        TelemetryCapture.Measured failed = Assert.Single(capture.Of(Failed));
        Assert.Equal("ConnectionFailed", failed["error.type"]);
        await capture.UntilAsync(c => c.Spans("smtp.send").Count >= 1);
        Assert.Equal("ConnectionFailed", Assert.Single(capture.Spans("smtp.send")).GetTagItem("error.type"));
        Assert.Equal(typeof(SmtpReplyException).FullName, Assert.Single(capture.Spans("smtp.connect")).GetTagItem("error.type"));
    }

    [Fact]
    public async Task ATcpConnectionRefusedIsCountedWithTheServerPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var capture = new TelemetryCapture("127.0.0.1", port);

        await Assert.ThrowsAsync<SmtpException>(() => SmtpConnection.ConnectAsync("127.0.0.1", port, new SmtpConnectionOptions { TlsMode = SmtpTlsMode.None }));

        TelemetryCapture.Measured failure = Assert.Single(capture.Of(ConnectFailures));
        Assert.Equal(typeof(SmtpException).FullName, failure["error.type"]);
        Assert.Equal("Connect", failure["smtp.phase"]);
    }

    [Fact]
    public async Task AConnectionOverTcpCarriesTheServerPortAndTheTlsVersion()
    {
        var server = new ScriptedSmtpServer()
            .Send("220 localhost ESMTP\r\n")
            .Expect("EHLO client.test").Send("250 localhost\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");
        (int port, Task completion) = server.ListenOnce(implicitTls: true);
        using var capture = new TelemetryCapture("localhost", port);
        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("localhost", port, new SmtpConnectionOptions
        {
            EhloName = "client.test",
            TlsMode = SmtpTlsMode.Implicit,
            Tls = new SmtpTlsOptions { PinnedCertificate = TestCertificates.Localhost },
        }))
        {
            await connection.QuitAsync();
        }

        await completion;
        Activity span = Assert.Single(capture.Spans("smtp.connect"));
        Assert.Equal(port, span.GetTagItem("server.port"));
        Assert.Equal("tls", span.GetTagItem("tls.protocol.name"));
        Assert.True(span.GetTagItem("tls.protocol.version") is "1.2" or "1.3", $"{span.GetTagItem("tls.protocol.version")}");
        Assert.Equal(1, capture.Sum(Opened));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ADropAfterTheEndOfDataCountsOneUncertainDelivery(bool pooled)
    {
        string host = pooled ? "unknown.pool.telemetry.test" : "unknown.direct.telemetry.test";
        int drops = 0;
        var peer = new PipeSmtpPeer { Override = (line, mail) => line == "." && mail!.Contains("<m2@", StringComparison.Ordinal) && Interlocked.Increment(ref drops) == 1 ? "" : null };
        using var capture = new TelemetryCapture(host);
        if (pooled)
        {
            await using var sender = new SmtpSender(Options(peer, host, chunking: false));
            var deliveries = new Task<SmtpDelivery>[5];
            for (int i = 0; i < deliveries.Length; i++)
            {
                deliveries[i] = sender.SendAsync(new SmtpEnvelope($"m{i}@test", "b@test"), SmtpSenderStreamingTests.Message(i)).AsTask();
            }

            for (int i = 0; i < deliveries.Length; i++)
            {
                SmtpDelivery delivery = await deliveries[i];
                Assert.Equal(i == 2 ? SmtpFailureReason.OutcomeUnknown : SmtpFailureReason.None, delivery.Reason);
            }
        }
        else
        {
            await using SmtpConnection connection = await SmtpConnection.OpenAsync(peer.Connect(), host, SmtpSenderStreamingTests.ConnectionOptions(chunking: false));
            SmtpException thrown = await Assert.ThrowsAnyAsync<SmtpException>(() => connection.SendAsync(new SmtpEnvelope("m2@test", "b@test"), SmtpSenderStreamingTests.Message(2)));
            Assert.True(thrown.MayHaveBeenDelivered);
        }

        TelemetryCapture.Measured unknown = Assert.Single(capture.Of(Unknown));
        Assert.Equal("OutcomeUnknown", unknown["error.type"]);
        Assert.Equal("OutcomeUnknown", Assert.Single(capture.Of(Failed))["error.type"]);
        await capture.UntilAsync(c => c.Spans("smtp.send").Any(s => s.GetTagItem("error.type") is not null));
        Assert.Equal("OutcomeUnknown", Assert.Single(capture.Spans("smtp.send"), s => s.GetTagItem("error.type") is not null).GetTagItem("error.type"));
    }

    [Fact]
    public async Task TheQueueGaugeReportsMessagesHeldByASlowPeerAndForgetsAStoppedSender()
    {
        const string host = "queue.pool.telemetry.test";
        const int count = 20;
        using var gate = new ManualResetEventSlim();
        int ends = 0;

        // The peer holds its reply to the first end of data until the gate opens: the rest wait in the pool's queue.
        var peer = new PipeSmtpPeer { Override = (line, _) => line == "." && Interlocked.Increment(ref ends) == 1 && !gate.Wait(TimeSpan.FromSeconds(30)) ? "421 4.4.2 gate timed out" : null };
        using var capture = new TelemetryCapture(host);
        await using var sender = new SmtpSender(Options(peer, host, chunking: false));
        var queued = new List<SmtpQueuedMessage>();
        for (int i = 0; i < count; i++)
        {
            queued.Add(await sender.EnqueueAsync(new SmtpEnvelope($"m{i}@test", "b@test"), SmtpSenderStreamingTests.Message(i)));
        }

        // The worker holds the first message (and the next one, whose envelope rides behind its end of data).
        long waiting = count;
        for (int i = 0; i < 200 && waiting > count - 1; i++)
        {
            await Task.Delay(10);
            waiting = Latest(capture);
        }

        Assert.InRange(waiting, count - 2, count - 1);
        gate.Set();
        foreach (SmtpQueuedMessage message in queued)
        {
            Assert.True((await message.Delivery.AsTask().WaitAsync(TimeSpan.FromMinutes(1))).Accepted);
        }

        Assert.Equal(0, Latest(capture));
        await sender.StopAsync();
        int before = capture.Of(Queued).Count;
        capture.Observe();
        Assert.Equal(before, capture.Of(Queued).Count);
    }

    private static long Latest(TelemetryCapture capture)
    {
        capture.Observe();
        return (long)capture.Of(Queued)[^1].Value;
    }

    /// <summary>A pool on the in-memory peer that names the server <paramref name="host"/> (in its options and its connections).</summary>
    private static SmtpSenderOptions Options(PipeSmtpPeer peer, string host, bool chunking, int connections = 1) => new()
    {
        Host = host,
        Connections = connections,
        RetryDelay = TimeSpan.FromMilliseconds(10),
        IdleNoopInterval = TimeSpan.Zero,
        ConnectAsync = token => SmtpConnection.OpenAsync(peer.Connect(), host, SmtpSenderStreamingTests.ConnectionOptions(chunking), token),
    };
}
