using SmtpCodec.Client;
using SmtpCodec.Protocol;
using SmtpCodec.Sink;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Sink;

/// <summary>The sink's limits answer with the RFC's replies and the session goes on.</summary>
public sealed class SmtpSinkLimitTests
{
    [Fact]
    public async Task ARecipientOverTheLimitGets452AndTheClientSendsTheRestInAFurtherTransaction()
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { MaxRecipients = 100 });
        string[] recipients = [.. Enumerable.Range(0, 250).Select(i => $"r{i}@example.org")];

        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, new SmtpConnectionOptions { TlsMode = SmtpTlsMode.None, EhloName = "client.test" }))
        {
            SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope("a@b.c", recipients), "hi\r\n"u8.ToArray());
            Assert.Equal(250, result.Reply.Code);
            await connection.QuitAsync();
        }

        // RFC 5321 section 4.5.3.1.10: 452 is temporary; 100 + 100 + 50 recipients make three messages.
        Assert.Equal(3, sink.Messages);
    }

    [Fact]
    public async Task TheRecipientLimitIsA452WithItsEnhancedCode()
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { MaxRecipients = 2 });
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);

        string[] replies = await client.SendAsync("EHLO raw.test\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<1@e.f>\r\nRCPT TO:<2@e.f>\r\nRCPT TO:<3@e.f>\r\n", 5);

        Assert.Equal(["250 2.1.5 Ok", "250 2.1.5 Ok", "452 4.5.3 Too many recipients"], replies[2..]);
    }

    [Fact]
    public async Task AMessageOverTheSizeLimitIsRefusedAtItsEndAndNotCounted()
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { MaxMessageSize = 1000 });
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);
        await client.SendAsync("EHLO raw.test\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n", 4);

        string refused = (await client.SendAsync(new string('x', 1500) + "\r\n.\r\n", 1))[0];
        string[] next = await client.SendAsync("MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nsmall\r\n.\r\n", 4);

        Assert.Equal("552 5.3.4 Message size exceeds fixed maximum message size", refused);
        Assert.StartsWith("250 2.0.0 Ok: queued as ", next[3], StringComparison.Ordinal);
        Assert.Equal(1, sink.Messages);
        Assert.Equal(7, sink.Bytes);
    }

    [Fact]
    public async Task BadInputEverywhereGetsRepliesAndNeverASessionFault()
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions
        {
            Extensions = new SmtpSinkOptions().Extensions | EhloExtensions.Auth,
            AuthMechanisms = SaslMechanismFlags.Plain | SaslMechanismFlags.ScramSha256 | SaslMechanismFlags.OAuthBearer | SaslMechanismFlags.CramMd5,
            Users = new Dictionary<string, string> { ["u"] = "p" },
            Faults = [SmtpSinkFault.Parse("*:4xx=0.1")],
            FaultSeed = 5,
        });
        string[] lines =
        [
            "EHLO", "HELO", "MAIL FROM:", "MAIL FROM:<a@b> SIZE=", "MAIL FROM:<a@b> SIZE=99999999999999999999999", "RCPT", "RCPT TO:",
            "AUTH", "AUTH SCRAM-SHA-256 " + Convert.ToBase64String("n,,n=,r="u8), "AUTH SCRAM-SHA-256 " + Convert.ToBase64String("y,a=x,n=u,r=1"u8),
            "AUTH OAUTHBEARER " + Convert.ToBase64String("n,,\u0001\u0001"u8), "AUTH CRAM-MD5", "=", "AUTH PLAIN =", "BDAT x", "\0\0\0", "VRFY", "EXPN x",
        ];
        for (int round = 0; round < 3; round++)
        {
            using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);
            foreach (string line in lines)
            {
                try
                {
                    string reply = await client.CommandAsync(line);
                    Assert.Matches("^[2345][0-9][0-9][ -]", reply);
                }
                catch (InvalidOperationException)
                {
                    break; // BDAT x loses the framing: the sink closes, as RFC 3030 section 2 leaves it no other choice.
                }
            }
        }

        await sink.DisposeAsync();
        Assert.True(sink.SessionFaults == 0, sink.LastSessionFault?.ToString());
    }
}
