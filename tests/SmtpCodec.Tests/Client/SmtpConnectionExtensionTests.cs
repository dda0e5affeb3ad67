using System.Text;
using SmtpCodec.Client;
using SmtpCodec.Protocol;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Client;

/// <summary>ESMTP parameters used when offered and needed, and clear errors when a message needs what the server lacks.</summary>
public sealed class SmtpConnectionExtensionTests
{
    [Fact]
    public async Task EightBitContentDeclaresBody8BitMimeAndSize()
    {
        byte[] message = Encoding.UTF8.GetBytes("Subject: café\r\n\r\nhé\r\n");
        var server = Session("250-mx.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 100\r\n")
            .Expect($"MAIL FROM:<you@example.com> SIZE={message.Length} BODY=8BITMIME").Expect("RCPT TO:<a@example.com>").Expect("DATA")
            .Send("250 Ok\r\n250 Ok\r\n354 go\r\n").ExpectContent().Send("250 queued\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        await SmtpConnectionTests.RunAsync(server, async c =>
        {
            await c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), message);
            await c.QuitAsync();
        });
    }

    [Fact]
    public async Task ASeekableStreamIsScannedSoEightBitContentDeclaresBody8BitMime()
    {
        byte[] message = Encoding.UTF8.GetBytes("Subject: from a file\r\n\r\nh\u00e9 from disk\r\n");
        var server = Session("250-mx.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 1000\r\n")
            .Expect($"MAIL FROM:<you@example.com> SIZE={message.Length} BODY=8BITMIME").Expect("RCPT TO:<a@example.com>").Expect("DATA")
            .Send("250 Ok\r\n250 Ok\r\n354 go\r\n").ExpectContent().Send("250 queued\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        await SmtpConnectionTests.RunAsync(server, async c =>
        {
            using var file = new MemoryStream(message);
            await c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), file);
            await c.QuitAsync();
        });

        Assert.Equal(message, server.Messages.Single());
    }

    [Fact]
    public async Task ASeekableEightBitStreamWithout8BitMimeFailsBeforeMail()
    {
        var server = Session("250 mx.test\r\n").Expect("QUIT").Send("221 Bye\r\n");

        await SmtpConnectionTests.RunAsync(server, async c =>
        {
            using var file = new MemoryStream("Subject: x\r\n\r\nh\u00e9\r\n"u8.ToArray());
            SmtpException error = await Assert.ThrowsAsync<SmtpException>(() => c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), file));
            Assert.Contains("needs the server to offer 8BITMIME", error.Message, StringComparison.Ordinal);
            Assert.Equal(SmtpPhase.Mail, error.Phase);
            await c.QuitAsync();
        });

        Assert.DoesNotContain(server.Received, l => l.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UndeclaredEightBitBytesFromAnUnseekableStreamFailBeforeTheEndOfData()
    {
        var server = Session("250-mx.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
            .Expect("MAIL FROM:<you@example.com>").Expect("RCPT TO:<a@example.com>").Expect("DATA")
            .Send("250 Ok\r\n250 Ok\r\n354 go\r\n")
            .ExpectClose();

        SmtpException? error = null;
        await SmtpConnectionTests.RunAsync(server, async c =>
        {
            using var pipe = new UnseekableStream("Subject: x\r\n\r\nh\u00e9\r\n"u8.ToArray());
            error = await Assert.ThrowsAsync<SmtpException>(() => c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), pipe));
            Assert.False(c.IsConnected);
        });

        Assert.Contains("SmtpEnvelope.Body", error!.Message, StringComparison.Ordinal);
        Assert.False(error.IsTransient);
        Assert.False(error.MayHaveBeenDelivered);
        Assert.DoesNotContain(".", server.Received);
    }

    [Fact]
    public async Task DeclaredEightBitBytesFromAnUnseekableStreamGoThrough()
    {
        var server = Session("250-mx.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
            .Expect("MAIL FROM:<you@example.com> BODY=8BITMIME").Expect("RCPT TO:<a@example.com>").Expect("DATA")
            .Send("250 Ok\r\n250 Ok\r\n354 go\r\n").ExpectContent().Send("250 queued\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        await SmtpConnectionTests.RunAsync(server, async c =>
        {
            using var pipe = new UnseekableStream("Subject: x\r\n\r\nh\u00e9\r\n"u8.ToArray());
            await c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com") { Body = SmtpCodec.Protocol.BodyType.EightBitMime }, pipe);
            await c.QuitAsync();
        });
    }

    [Fact]
    public async Task Utf8HeadersDeclareSmtpUtf8WhereTheServerOffersIt()
    {
        byte[] message = Encoding.UTF8.GetBytes("From: J\u00f6rg <j@example.com>\r\nSubject: \u00fcber\r\n\r\nbody\r\n");
        var server = Session("250-mx.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
            .Expect("MAIL FROM:<you@example.com> BODY=8BITMIME SMTPUTF8").Expect("RCPT TO:<a@example.com>").Expect("DATA")
            .Send("250 Ok\r\n250 Ok\r\n354 go\r\n").ExpectContent().Send("250 queued\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        await SmtpConnectionTests.RunAsync(server, async c =>
        {
            await c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), message);
            await c.QuitAsync();
        });
    }

    [Fact]
    public async Task EightBitContentWithout8BitMimeFailsBeforeMail()
    {
        var server = Session("250 mx.test\r\n").Expect("QUIT").Send("221 Bye\r\n");

        await SmtpConnectionTests.RunAsync(server, async c =>
        {
            SmtpException error = await Assert.ThrowsAsync<SmtpException>(() => c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), "h\u00e9"u8.ToArray()));
            Assert.Contains("8BITMIME", error.Message, StringComparison.Ordinal);
            await c.QuitAsync();
        });

        Assert.DoesNotContain(server.Received, l => l.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AMessageOverTheServersSizeLimitFailsBeforeMail()
    {
        var server = Session("250-mx.test\r\n250 SIZE 10\r\n").Expect("QUIT").Send("221 Bye\r\n");

        await SmtpConnectionTests.RunAsync(server, async c =>
        {
            SmtpException error = await Assert.ThrowsAsync<SmtpException>(() => c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com"), new byte[11]));
            Assert.Contains("SIZE limit is 10", error.Message, StringComparison.Ordinal);
            Assert.False(error.IsTransient);
            await c.QuitAsync();
        });
    }

    [Fact]
    public async Task Utf8AddressesUseSmtpUtf8WhenOffered()
    {
        var server = Session("250-mx.test\r\n250 SMTPUTF8\r\n")
            .Expect("MAIL FROM:<jörg@bücher.example> SMTPUTF8").Send("250 Ok\r\n")
            .Expect("RCPT TO:<δοκιμή@παράδειγμα.δοκιμή>").Send("250 Ok\r\n")
            .Expect("DATA").Send("354 go\r\n").ExpectContent().Send("250 queued\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        await SmtpConnectionTests.RunAsync(server, async c =>
        {
            await c.SendAsync(new SmtpEnvelope("jörg@bücher.example", "δοκιμή@παράδειγμα.δοκιμή"), "hi"u8.ToArray());
            await c.QuitAsync();
        });
    }

    [Fact]
    public async Task WithoutSmtpUtf8DomainsBecomeALabelsAndUtf8LocalPartsFail()
    {
        var server = Session("250 mx.test\r\n")
            .Expect("MAIL FROM:<you@xn--bcher-kva.example>").Send("250 Ok\r\n")
            .Expect("RCPT TO:<a@example.com>").Send("250 Ok\r\n")
            .Expect("DATA").Send("354 go\r\n").ExpectContent().Send("250 queued\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        await SmtpConnectionTests.RunAsync(server, async c =>
        {
            await c.SendAsync(new SmtpEnvelope("you@bücher.example", "a@example.com"), "hi"u8.ToArray());
            SmtpException error = await Assert.ThrowsAsync<SmtpException>(() => c.SendAsync(new SmtpEnvelope("jörg@example.com", "a@example.com"), "hi"u8.ToArray()));
            Assert.Contains("non-ASCII local part", error.Message, StringComparison.Ordinal);
            await c.QuitAsync();
        });
    }

    [Fact]
    public async Task DsnParametersAreSentWhenOfferedAndRefusedWhenNot()
    {
        var server = Session("250-mx.test\r\n250 DSN\r\n")
            .Expect("MAIL FROM:<you@example.com> RET=HDRS ENVID=QQ314159").Send("250 Ok\r\n")
            .Expect("RCPT TO:<a@example.com> NOTIFY=FAILURE,DELAY").Send("250 Ok\r\n")
            .Expect("DATA").Send("354 go\r\n").ExpectContent().Send("250 queued\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");

        await SmtpConnectionTests.RunAsync(server, async c =>
        {
            await c.SendAsync(
                new SmtpEnvelope("you@example.com", "a@example.com") { Return = DsnReturn.Headers, EnvelopeId = "QQ314159", Notify = DsnNotifyFlags.Failure | DsnNotifyFlags.Delay },
                "hi"u8.ToArray());
            await c.QuitAsync();
        });

        var plain = Session("250 mx.test\r\n").Expect("QUIT").Send("221 Bye\r\n");
        await SmtpConnectionTests.RunAsync(plain, async c =>
        {
            SmtpException error = await Assert.ThrowsAsync<SmtpException>(() =>
                c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com") { Notify = DsnNotifyFlags.Success }, "hi"u8.ToArray()));
            Assert.Contains("DSN", error.Message, StringComparison.Ordinal);
            await c.QuitAsync();
        });
    }

    [Fact]
    public async Task RequireTlsNeedsTlsAndTheExtension()
    {
        var server = Session("250-mx.test\r\n250 REQUIRETLS\r\n").Expect("QUIT").Send("221 Bye\r\n");

        await SmtpConnectionTests.RunAsync(server, async c =>
        {
            SmtpException error = await Assert.ThrowsAsync<SmtpException>(() =>
                c.SendAsync(new SmtpEnvelope("you@example.com", "a@example.com") { RequireTls = true }, "hi"u8.ToArray()));
            Assert.Contains("REQUIRETLS over TLS", error.Message, StringComparison.Ordinal);
            await c.QuitAsync();
        });
    }

    [Fact]
    public async Task TheDefaultEhloNameIsAnFqdnOrAnAddressLiteral()
    {
        var server = new ScriptedSmtpServer()
            .Send("220 mx.test ESMTP\r\n")
            .ExpectPrefix("EHLO ").Send("250 mx.test\r\n")
            .Expect("QUIT").Send("221 Bye\r\n");
        (int port, Task completion) = server.ListenOnce();

        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", port, new SmtpConnectionOptions { TlsMode = SmtpTlsMode.None }))
        {
            await connection.QuitAsync();
        }

        await completion;
        string name = server.Received[0]["EHLO ".Length..];
        Assert.True(name == "[127.0.0.1]" || (name.Contains('.', StringComparison.Ordinal) && !name.StartsWith('[')), $"EHLO {name} is neither an FQDN nor an address literal");
    }

    [Theory]
    [InlineData("mx", "example.com", "127.0.0.1", "mx.example.com")]
    [InlineData("mx.example.org", "", "127.0.0.1", "mx.example.org")]
    [InlineData("vm", "", "192.0.2.7", "[192.0.2.7]")]
    [InlineData("vm", "(none)", "192.0.2.7", "[192.0.2.7]")]
    [InlineData("laptop", "local", "192.0.2.7", "[192.0.2.7]")]
    [InlineData("vm", "", "::ffff:192.0.2.7", "[192.0.2.7]")]
    [InlineData("vm", "", "2001:db8::1", "[IPv6:2001:db8::1]")]
    [InlineData("vm", "", null, "[127.0.0.1]")]
    public void TheDefaultEhloNameIsADnsFqdnElseAnAddressLiteral(string host, string domain, string? address, string expected) =>
        Assert.Equal(expected, SmtpConnection.DefaultEhloName(host, domain, address is null ? null : System.Net.IPAddress.Parse(address)));

    private static ScriptedSmtpServer Session(string ehlo) => new ScriptedSmtpServer()
        .Send("220 mx.test ESMTP\r\n")
        .Expect("EHLO client.test").Send(ehlo);
}
