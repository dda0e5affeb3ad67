using System.Text;
using MimeKit;
using SmtpCodec.Client;
using SmtpCodec.Protocol;

namespace SmtpCodec.MimeKit.Tests;

/// <summary>The message prepared for what the server offers: 8BITMIME or 7-bit, SMTPUTF8 or encoded headers, and Bcc delivered but never transmitted.</summary>
public sealed class ServerExtensionTests
{
    private const string Body = "Grüße — line one\nline two ✓\n";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AUtf8BodyGoesAsBody8BitMimeWhereOfferedAndIsEncoded7BitElsewhere(bool eightBitOffered)
    {
        await using StoringSink sink = StoringSink.Start(eightBitOffered ? null : StoringSink.Without(EhloExtensions.EightBitMime | EhloExtensions.SmtpUtf8));
        var transcript = new List<string>();
        await using SmtpConnection connection = await sink.ConnectAsync(transcript: transcript);

        SmtpSendResult result = await connection.SendAsync(TestMessages.Plain("Grüße", Body));

        byte[] stored = sink.Stored(result.Reply);
        string text = Encoding.UTF8.GetString(stored);
        string mail = Assert.Single(transcript, line => line.StartsWith("C: MAIL FROM:", StringComparison.Ordinal));
        if (eightBitOffered)
        {
            Assert.Contains("BODY=8BITMIME", mail, StringComparison.Ordinal);
            Assert.Contains("Content-Transfer-Encoding: 8bit", text, StringComparison.Ordinal);
            Assert.Contains("Grüße — line one\r\n", text, StringComparison.Ordinal);
        }
        else
        {
            Assert.DoesNotContain("BODY=", mail, StringComparison.Ordinal);
            Assert.DoesNotContain(stored, b => b >= 0x80);
            Assert.Matches("Content-Transfer-Encoding: (quoted-printable|base64)", text);
            MimeMessage back = MimeMessage.Load(new MemoryStream(stored));
            Assert.Equal(Body, back.TextBody?.ReplaceLineEndings("\n"));
        }

        // The subject is encoded (RFC 2047) unless UTF-8 headers were asked for: no SMTPUTF8 either way.
        Assert.Contains("Subject: =?utf-8?", text, StringComparison.Ordinal);
        Assert.DoesNotContain("SMTPUTF8", mail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Utf8HeadersAskedForGoRawWithSmtpUtf8WhereOffered()
    {
        await using StoringSink sink = StoringSink.Start();
        var transcript = new List<string>();
        await using SmtpConnection connection = await sink.ConnectAsync(transcript: transcript);

        SmtpSendResult result = await connection.SendAsync(TestMessages.Plain("Grüße ✓", "ascii body\n"), new SmtpMimeOptions { Format = new FormatOptions { International = true } });

        Assert.Contains("Subject: Grüße ✓\r\n", Encoding.UTF8.GetString(sink.Stored(result.Reply)), StringComparison.Ordinal);
        string mail = Assert.Single(transcript, line => line.StartsWith("C: MAIL FROM:", StringComparison.Ordinal));
        Assert.Contains("SMTPUTF8", mail, StringComparison.Ordinal);
        Assert.Contains("BODY=8BITMIME", mail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Utf8HeadersAskedForAreEncodedWhereSmtpUtf8IsNotOffered()
    {
        await using StoringSink sink = StoringSink.Start(StoringSink.Without(EhloExtensions.SmtpUtf8));
        await using SmtpConnection connection = await sink.ConnectAsync();

        SmtpSendResult result = await connection.SendAsync(TestMessages.Plain("Grüße ✓", "ascii body\n"), new SmtpMimeOptions { Format = new FormatOptions { International = true } });

        Assert.Contains("Subject: =?utf-8?", Encoding.UTF8.GetString(sink.Stored(result.Reply)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ANonAsciiLocalPartWithoutSmtpUtf8IsRefusedNamingTheExtensionBeforeAnythingIsSent()
    {
        await using StoringSink sink = StoringSink.Start(StoringSink.Without(EhloExtensions.SmtpUtf8));
        var transcript = new List<string>();
        await using SmtpConnection connection = await sink.ConnectAsync(transcript: transcript);
        MimeMessage message = TestMessages.Plain("hi", "body\n", "a@example.com", "δοκιμή@example.org");

        var error = await Assert.ThrowsAsync<SmtpException>(() => connection.SendAsync(message));

        Assert.Contains("SMTPUTF8", error.Message, StringComparison.Ordinal);
        Assert.Contains("δοκιμή@example.org", error.Message, StringComparison.Ordinal);
        Assert.False(error.IsTransient);
        Assert.DoesNotContain(transcript, line => line.StartsWith("C: MAIL", StringComparison.Ordinal));
        Assert.True(connection.IsConnected);
    }

    [Fact]
    public async Task ANonAsciiLocalPartGoesWithSmtpUtf8WhereOffered()
    {
        await using StoringSink sink = StoringSink.Start();
        var transcript = new List<string>();
        await using SmtpConnection connection = await sink.ConnectAsync(transcript: transcript);

        SmtpSendResult result = await connection.SendAsync(TestMessages.Plain("hi", "body\n", "a@example.com", "δοκιμή@bücher.example"));

        Assert.Equal("δοκιμή@bücher.example", Assert.Single(result.Recipients).Address);
        // The To header carries the local part as raw UTF-8 (nothing else can write it): SMTPUTF8 and 8BITMIME both.
        string mail = Assert.Single(transcript, line => line.StartsWith("C: MAIL FROM:<a@example.com>", StringComparison.Ordinal));
        Assert.Contains("SMTPUTF8", mail, StringComparison.Ordinal);
        Assert.Contains("BODY=8BITMIME", mail, StringComparison.Ordinal);
        Assert.Contains("To: δοκιμή@", Encoding.UTF8.GetString(sink.Stored(result.Reply)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnInternationalDomainIsSentAsALabelsWithoutSmtpUtf8()
    {
        await using StoringSink sink = StoringSink.Start(StoringSink.Without(EhloExtensions.SmtpUtf8));
        var transcript = new List<string>();
        await using SmtpConnection connection = await sink.ConnectAsync(transcript: transcript);

        await connection.SendAsync(TestMessages.Plain("hi", "body\n", "a@example.com", "user@bücher.example"));

        Assert.Contains("C: RCPT TO:<user@xn--bcher-kva.example>", transcript);
    }

    [Fact]
    public async Task BccAndResentBccRecipientsGetTheMessageAndNoStoredByteNamesThem()
    {
        await using StoringSink sink = StoringSink.Start();
        await using SmtpConnection connection = await sink.ConnectAsync();
        MimeMessage message = TestMessages.Rich();
        message.Headers.Add("Resent-Bcc", "resent-hidden@example.org");

        SmtpSendResult result = await connection.SendAsync(message);

        Assert.Equal(["to1@example.org", "cc1@example.org", "hidden@example.org"], result.Recipients.Select(r => r.Address));
        Assert.All(result.Recipients, r => Assert.True(r.Delivered));
        string stored = Encoding.UTF8.GetString(sink.Stored(result.Reply));
        Assert.DoesNotContain("Bcc", stored, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("hidden@example.org", stored, StringComparison.Ordinal);
        Assert.Contains("Cc: Cc One <cc1@example.org>", stored, StringComparison.Ordinal);
    }
}
