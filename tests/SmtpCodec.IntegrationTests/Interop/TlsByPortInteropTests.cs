using System.Text.Json;
using SmtpCodec.Client;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Interop;

/// <summary>Default options on port 465 speak TLS from the first byte to a real server (Node smtp-server, secure).</summary>
[Collection(InteropTestGroup.Name)]
public sealed class TlsByPortInteropTests(NodeSmtpServerImplicitTlsPeer node) : IClassFixture<NodeSmtpServerImplicitTlsPeer>
{
    [Fact]
    public async Task DefaultOptionsOnPort465UseImplicitTlsAndDeliver()
    {
        using var timeout = new CancellationTokenSource(InteropPeers.TestTimeout);
        Assert.Equal(465, node.Port);
        int messagesBefore = node.Count("message");
        byte[] message = InteropMessages.Small("implicit TLS by port");
        var options = new SmtpConnectionOptions
        {
            EhloName = "client.interop.test",
            Tls = new SmtpTlsOptions { PinnedCertificate = TestCertificates.Localhost, TargetHost = "localhost" },
            Credentials = new SmtpCredentials(ScriptedServerPeer.User, ScriptedServerPeer.Password),
        };

        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", 465, options, timeout.Token))
        {
            Assert.True(connection.IsEncrypted);
            SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope("sender@example.com", "a@example.org"), message, timeout.Token);
            Assert.Equal(250, result.Reply.Code);
            await connection.QuitAsync(timeout.Token);
        }

        JsonElement received = (await node.WaitForEventsAsync("message", messagesBefore + 1))[^1];
        Assert.True(received.GetProperty("secure").GetBoolean());
        Assert.Equal(InteropMessages.Sha256(message), received.GetProperty("sha256").GetString());
    }
}
