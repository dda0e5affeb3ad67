using SmtpCodec.Client;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Interop;

/// <summary>
/// The pool under a real server's per-session message limit (Node smtp-server refusing MAIL with 452 4.5.3 after
/// 5 messages, as OpenSMTPD does after 100): every message is delivered once, each session ended and replaced.
/// </summary>
[Collection(InteropTestGroup.Name)]
public sealed class SessionLimitInteropTests(NodeSmtpServerSessionLimitPeer node) : IClassFixture<NodeSmtpServerSessionLimitPeer>
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EveryMessageGetsThroughOverNewSessionsAtOneAttempt(bool pipelining)
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        const int count = 100;
        int messagesBefore = node.Count("message");
        var options = new SmtpSenderOptions
        {
            Host = "127.0.0.1",
            Port = node.Port,
            Connections = 2,
            QueueCapacity = count,
            MaxAttempts = 1,
            RetryDelay = TimeSpan.FromHours(1),
            Connection = new SmtpConnectionOptions
            {
                EhloName = "client.interop.test",
                UsePipelining = pipelining,
                Credentials = new SmtpCredentials(ScriptedServerPeer.User, ScriptedServerPeer.Password),
                Tls = new SmtpTlsOptions { PinnedCertificate = TestCertificates.Localhost, TargetHost = "localhost" },
            },
        };
        await using var sender = new SmtpSender(options);
        Task<SmtpDelivery>[] pending = Enumerable.Range(0, count)
            .Select(i => sender.SendAsync(new SmtpEnvelope("sender@example.com", "a@example.org"), InteropMessages.Small($"limit {i}"), timeout.Token).AsTask())
            .ToArray();
        SmtpDelivery[] deliveries = await Task.WhenAll(pending).WaitAsync(timeout.Token);

        Assert.All(deliveries, d => Assert.True(d.Accepted, d.Error));
        Assert.All(deliveries, d => Assert.Equal(1, d.Attempts));
        Assert.InRange(sender.ConnectionsOpened, count / NodeSmtpServerSessionLimitPeer.MessagesPerSession, (count / NodeSmtpServerSessionLimitPeer.MessagesPerSession) + 4);
        var received = await node.WaitForEventsAsync("message", messagesBefore + count);
        Assert.Equal(messagesBefore + count, received.Count);
        Assert.Equal(count, received.Skip(messagesBefore).Select(m => m.GetProperty("sha256").GetString()).Distinct().Count());
    }
}
