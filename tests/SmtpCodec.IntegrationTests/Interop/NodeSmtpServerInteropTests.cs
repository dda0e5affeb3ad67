using System.Text;
using System.Text.Json;
using SmtpCodec.Client;
using SmtpCodec.Protocol;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Interop;

/// <summary>SmtpConnection against Node's smtp-server: STARTTLS, every AUTH mechanism both sides have, pipelining, SMTPUTF8.</summary>
[Collection(InteropTestGroup.Name)]
public sealed class NodeSmtpServerInteropTests(NodeSmtpServerPeer node) : IClassFixture<NodeSmtpServerPeer>
{
    private static SmtpConnectionOptions Options(SmtpCredentials credentials) => new()
    {
        EhloName = "client.interop.test",
        Tls = new SmtpTlsOptions { PinnedCertificate = TestCertificates.Localhost, TargetHost = "localhost" },
        Credentials = credentials,
    };

    [Theory]
    [InlineData(SaslMechanism.Plain, "PLAIN")]
    [InlineData(SaslMechanism.Login, "LOGIN")]
    [InlineData(SaslMechanism.CramMd5, "CRAM-MD5")]
    [InlineData(SaslMechanism.XOAuth2, "XOAUTH2")]
    public async Task EachMechanismAuthenticatesAndTheMessageArrivesIntact(SaslMechanism mechanism, string name)
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        int authsBefore = node.Count("auth");
        string secret = mechanism == SaslMechanism.XOAuth2 ? NodeSmtpServerPeer.Token : ScriptedServerPeer.Password;
        int messagesBefore = node.Count("message");
        byte[] message = InteropMessages.Small($"node {name}");
        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", node.Port, Options(new SmtpCredentials(ScriptedServerPeer.User, secret, mechanism)), timeout.Token))
        {
            Assert.True(connection.IsEncrypted);
            Assert.Equal(mechanism, connection.AuthenticatedWith);
            SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope("sender@example.com", "a@example.org"), message, timeout.Token);
            Assert.Equal(250, result.Reply.Code);
            await connection.QuitAsync(timeout.Token);
        }

        JsonElement auth = (await node.WaitForEventsAsync("auth", authsBefore + 1))[^1];
        Assert.Equal(name, auth.GetProperty("method").GetString());
        Assert.True(auth.GetProperty("ok").GetBoolean());
        JsonElement received = (await node.WaitForEventsAsync("message", messagesBefore + 1))[^1];
        Assert.Equal(ScriptedServerPeer.User, received.GetProperty("user").GetString());
        Assert.True(received.GetProperty("secure").GetBoolean());
        Assert.Equal(message.Length, received.GetProperty("bytes").GetInt32());
        Assert.Equal(InteropMessages.Sha256(message), received.GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task WithoutAChosenMechanismTheStrongestOfferedOneIsUsed()
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        int authsBefore = node.Count("auth");
        await using SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", node.Port, Options(new SmtpCredentials(ScriptedServerPeer.User, ScriptedServerPeer.Password)), timeout.Token);

        // smtp-server offers PLAIN LOGIN CRAM-MD5 XOAUTH2: of the password mechanisms CRAM-MD5 never sends the password.
        Assert.Equal(SaslMechanism.CramMd5, connection.AuthenticatedWith);
        Assert.Equal("CRAM-MD5", (await node.WaitForEventsAsync("auth", authsBefore + 1))[^1].GetProperty("method").GetString());
        await connection.QuitAsync(timeout.Token);
    }

    [Theory]
    [InlineData(SaslMechanism.Plain)]
    [InlineData(SaslMechanism.Login)]
    [InlineData(SaslMechanism.CramMd5)]
    [InlineData(SaslMechanism.XOAuth2)]
    public async Task AWrongSecretFailsAuthWith535(SaslMechanism mechanism)
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        int authsBefore = node.Count("auth");

        // XOAUTH2 failures come as a 334 with a JSON error first: the client answers it with an empty line, then gets 535.
        SmtpException failure = await Assert.ThrowsAnyAsync<SmtpException>(() => SmtpConnection.ConnectAsync("127.0.0.1", node.Port, Options(new SmtpCredentials(ScriptedServerPeer.User, "wrong", mechanism)), timeout.Token));

        Assert.Equal(SmtpPhase.Auth, failure.Phase);
        Assert.Equal(535, failure.ReplyCode);
        Assert.False((await node.WaitForEventsAsync("auth", authsBefore + 1))[^1].GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task PipelinedMessagesWithARejectedRecipientReachTheOthers()
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        int messagesBefore = node.Count("message");
        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", node.Port, Options(new SmtpCredentials(ScriptedServerPeer.User, ScriptedServerPeer.Password)), timeout.Token))
        {
            Assert.True(connection.Capabilities.Supports(EhloKeyword.Pipelining));
            for (int i = 0; i < 10; i++)
            {
                var envelope = new SmtpEnvelope("sender@example.com", "a@example.org", NodeSmtpServerPeer.RejectedRecipient, "b@example.org");
                SmtpSendResult result = await connection.SendAsync(envelope, InteropMessages.Small($"rejected {i}"), timeout.Token);
                Assert.Equal([true, false, true], result.Recipients.Select(r => r.Delivered));
                Assert.Equal(550, result.Recipients[1].Reply.Code);
                Assert.Equal("5.1.1", result.Recipients[1].Reply.EnhancedStatusCode?.ToString());
            }

            await connection.QuitAsync(timeout.Token);
        }

        IReadOnlyList<JsonElement> received = await node.WaitForEventsAsync("message", messagesBefore + 10);
        Assert.All(received.Skip(messagesBefore), m => Assert.Equal(["a@example.org", "b@example.org"], m.GetProperty("to").EnumerateArray().Select(e => e.GetString())));
    }

    [Fact]
    public async Task AStreamOverTheSizeLimitIsRefusedWith552AfterItsContent()
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        int oversizedBefore = node.Count("oversized");
        await using SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", node.Port, Options(new SmtpCredentials(ScriptedServerPeer.User, ScriptedServerPeer.Password)), timeout.Token);
        Assert.Equal((ulong)NodeSmtpServerPeer.SizeLimit, connection.Capabilities.SizeLimit);
        const long length = 14_200 * GeneratedLinesStream.LineLength;     // whole lines, past 1 MiB
        using var unknownLength = new GeneratedLinesStream(length);

        SmtpReplyException refused = await Assert.ThrowsAsync<SmtpReplyException>(() => connection.SendAsync(new SmtpEnvelope("sender@example.com", "a@example.org"), unknownLength, timeout.Token));

        Assert.Equal(SmtpPhase.EndOfData, refused.Phase);
        Assert.Equal(552, refused.ReplyCode);
        JsonElement oversized = (await node.WaitForEventsAsync("oversized", oversizedBefore + 1))[^1];
        Assert.Equal(length, oversized.GetProperty("bytes").GetInt64());
        Assert.Equal(250, (await connection.SendAsync(new SmtpEnvelope("sender@example.com", "a@example.org"), InteropMessages.Small("after 552"), timeout.Token)).Reply.Code);
        await connection.QuitAsync(timeout.Token);
    }

    [Fact]
    public async Task AUtf8AddressIsSentWithSmtpUtf8()
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        int messagesBefore = node.Count("message");
        const string recipient = "用户@例子.example";
        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", node.Port, Options(new SmtpCredentials(ScriptedServerPeer.User, ScriptedServerPeer.Password)), timeout.Token))
        {
            Assert.True(connection.Capabilities.Supports(EhloKeyword.SmtpUtf8));
            await connection.SendAsync(new SmtpEnvelope("josé@example.com", recipient), Encoding.UTF8.GetBytes("Subject: ünïcödé\r\n\r\nHallo Wörld\r\n"), timeout.Token);
            await connection.QuitAsync(timeout.Token);
        }

        JsonElement received = (await node.WaitForEventsAsync("message", messagesBefore + 1))[^1];
        Assert.True(received.GetProperty("smtpUtf8").GetBoolean());
        Assert.Equal("josé@example.com", received.GetProperty("from").GetString());
        Assert.Equal(recipient, Assert.Single(received.GetProperty("to").EnumerateArray()).GetString());
        Assert.Equal("8bitmime", received.GetProperty("bodyType").GetString());
    }
}
