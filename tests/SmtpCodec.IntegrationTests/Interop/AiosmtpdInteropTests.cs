using System.Text.Json;
using SmtpCodec.Client;
using SmtpCodec.Protocol;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Interop;

/// <summary>SmtpConnection against aiosmtpd: STARTTLS (which aiosmtpd requires) and AUTH PLAIN and LOGIN.</summary>
[Collection(InteropTestGroup.Name)]
public sealed class AiosmtpdInteropTests(AiosmtpdPeer aiosmtpd) : IClassFixture<AiosmtpdPeer>
{
    private static SmtpConnectionOptions Options(SaslMechanism mechanism, string password) => new()
    {
        EhloName = "client.interop.test",
        Tls = new SmtpTlsOptions { PinnedCertificate = TestCertificates.Localhost, TargetHost = "localhost" },
        Credentials = new SmtpCredentials(ScriptedServerPeer.User, password, mechanism),
    };

    [Theory]
    [InlineData(SaslMechanism.Plain)]
    [InlineData(SaslMechanism.Login)]
    public async Task AuthenticatesOverStartTlsAndDeliversTheMessageIntact(SaslMechanism mechanism)
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        int authsBefore = aiosmtpd.Count("auth");
        int messagesBefore = aiosmtpd.Count("message");
        byte[] message = InteropMessages.Small($"aiosmtpd {mechanism}");
        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", aiosmtpd.Port, Options(mechanism, ScriptedServerPeer.Password), timeout.Token))
        {
            Assert.True(connection.IsEncrypted);
            Assert.Equal(mechanism, connection.AuthenticatedWith);
            SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope("sender@example.com", "a@example.org", "b@example.org"), message, timeout.Token);
            Assert.Equal("250 2.0.0 Ok: queued by aiosmtpd", result.Reply.ToString());
            await connection.QuitAsync(timeout.Token);
        }

        JsonElement received = (await aiosmtpd.WaitForEventsAsync("message", messagesBefore + 1))[^1];
        Assert.Equal("sender@example.com", received.GetProperty("from").GetString());
        Assert.Equal(["a@example.org", "b@example.org"], received.GetProperty("to").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(message.Length, received.GetProperty("bytes").GetInt32());
        Assert.Equal(InteropMessages.Sha256(message), received.GetProperty("sha256").GetString());
        Assert.Equal(ScriptedServerPeer.User, received.GetProperty("user").GetString());
        Assert.True(received.GetProperty("tls").GetBoolean());
        JsonElement auth = (await aiosmtpd.WaitForEventsAsync("auth", authsBefore + 1))[^1];
        Assert.Equal(mechanism == SaslMechanism.Plain ? "PLAIN" : "LOGIN", auth.GetProperty("mechanism").GetString());
        Assert.True(auth.GetProperty("ok").GetBoolean());
    }

    [Theory]
    [InlineData(SaslMechanism.Plain)]
    [InlineData(SaslMechanism.Login)]
    public async Task AWrongPasswordIsRefusedWith535AndNothingIsSent(SaslMechanism mechanism)
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        int authsBefore = aiosmtpd.Count("auth");
        int messagesBefore = aiosmtpd.Count("message");

        SmtpException failure = await Assert.ThrowsAnyAsync<SmtpException>(() => SmtpConnection.ConnectAsync("127.0.0.1", aiosmtpd.Port, Options(mechanism, "wrong"), timeout.Token));

        Assert.Equal(SmtpPhase.Auth, failure.Phase);
        Assert.Equal(535, failure.ReplyCode);
        Assert.False(failure.IsTransient);
        JsonElement auth = (await aiosmtpd.WaitForEventsAsync("auth", authsBefore + 1))[^1];
        Assert.Equal(ScriptedServerPeer.User, auth.GetProperty("user").GetString());
        Assert.False(auth.GetProperty("ok").GetBoolean());
        Assert.Equal(messagesBefore, aiosmtpd.Count("message"));
    }

    [Fact]
    public async Task WithoutTlsAiosmtpdRefusesTheTransactionWith530()
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        var cleartext = new SmtpConnectionOptions { EhloName = "client.interop.test", TlsMode = SmtpTlsMode.None };
        await using SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", aiosmtpd.Port, cleartext, timeout.Token);

        SmtpReplyException refused = await Assert.ThrowsAsync<SmtpReplyException>(() => connection.SendAsync(new SmtpEnvelope("sender@example.com", "a@example.org"), InteropMessages.Small("cleartext"), timeout.Token));

        Assert.Equal(SmtpPhase.Mail, refused.Phase);
        Assert.Equal(530, refused.ReplyCode);
    }
}
