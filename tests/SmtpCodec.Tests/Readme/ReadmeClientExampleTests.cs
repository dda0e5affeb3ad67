using System.Text;
using SmtpCodec.Client;
using SmtpCodec.Sink;

namespace SmtpCodec.Tests.Readme;

/// <summary>The README's "Quick start" example, compiled and run against a loopback server.</summary>
public sealed class ReadmeClientExampleTests
{
    [Fact]
    public async Task TheReadmeExampleSendsOneMessageThenManyThroughThePool()
    {
        await using SmtpSink sink = SmtpSink.Start();
        var options = new SmtpConnectionOptions { TlsMode = SmtpTlsMode.None, EhloName = "client.test" };

        SmtpResponse reply = await SendOneAsync("127.0.0.1", sink.EndPoint.Port, options, Encoding.ASCII.GetBytes("Message-ID: <one@test>\r\n\r\nHi\r\n"));
        long accepted = await SendManyAsync("127.0.0.1", sink.EndPoint.Port, options, Enumerable.Range(0, 50).Select(i => Encoding.ASCII.GetBytes($"Message-ID: <{i}@test>\r\n\r\nHi\r\n")));

        Assert.Equal("250 2.0.0 Ok: queued as 1", reply.ToString());
        Assert.Equal(50, accepted);
        Assert.Equal(51, sink.Messages);
    }

    // --- README example starts here ---
    static async Task<SmtpResponse> SendOneAsync(string host, int port, SmtpConnectionOptions options, byte[] message)
    {
        await using SmtpConnection connection = await SmtpConnection.ConnectAsync(host, port, options);
        SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope("you@example.com", "friend@example.org"), message);
        await connection.QuitAsync();
        return result.Reply;                                 // e.g. 250 2.0.0 Ok: queued as 4BxyZ1
    }

    static async Task<long> SendManyAsync(string host, int port, SmtpConnectionOptions options, IEnumerable<byte[]> messages)
    {
        await using var sender = new SmtpSender(new SmtpSenderOptions { Host = host, Port = port, Connection = options, Connections = 8 });
        SmtpDelivery[] ends = await Task.WhenAll(messages.Select(m => sender.SendAsync(new SmtpEnvelope("you@example.com", "friend@example.org"), m).AsTask()));
        return ends.Count(d => d.Accepted);                  // the others say why: Rejected, OutcomeUnknown ...
    }
    // --- README example ends here ---
}
