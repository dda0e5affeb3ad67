using MimeKit;
using SmtpCodec.Client;
using SmtpCodec.Protocol;

namespace SmtpCodec.MimeKit.Tests;

/// <summary>The envelope from the headers, as MailKit's SmtpClient builds it.</summary>
public sealed class EnvelopeTests
{
    private const EhloExtensions Offered = EhloExtensions.EightBitMime | EhloExtensions.SmtpUtf8 | EhloExtensions.Pipelining;

    /// <summary>Headers (name: value, one per line) and the expected reverse path and forward paths.</summary>
    public static TheoryData<string, string, string[]> Rules => new()
    {
        { "From: a@x.test\nTo: b@y.test", "a@x.test", ["b@y.test"] },
        { "From: a@x.test, second@x.test\nTo: b@y.test", "a@x.test", ["b@y.test"] },
        { "From: a@x.test\nSender: s@x.test\nTo: b@y.test", "s@x.test", ["b@y.test"] },
        { "From: a@x.test\nTo: b@y.test\nCc: c@y.test\nBcc: d@y.test", "a@x.test", ["b@y.test", "c@y.test", "d@y.test"] },
        { "From: a@x.test\nTo: b@y.test, B@Y.TEST\nCc: b@y.test\nBcc: c@y.test, C@y.test", "a@x.test", ["b@y.test", "c@y.test"] },
        { "From: a@x.test\nTo: Team: one@y.test, two@y.test;, three@y.test\nBcc: Hidden: two@y.test, four@y.test;", "a@x.test", ["one@y.test", "two@y.test", "three@y.test", "four@y.test"] },
        { "From: a@x.test\nSender: s@x.test\nTo: b@y.test\nResent-From: r@z.test\nResent-To: rt@z.test\nResent-Cc: rc@z.test\nResent-Bcc: rb@z.test", "r@z.test", ["rt@z.test", "rc@z.test", "rb@z.test"] },
        { "From: a@x.test\nTo: b@y.test\nResent-From: r@z.test\nResent-Sender: rs@z.test\nResent-To: rt@z.test", "rs@z.test", ["rt@z.test"] },
        { "From: a@x.test\nTo: b@y.test\nResent-Sender: rs@z.test\nResent-Bcc: rb@z.test", "rs@z.test", ["rb@z.test"] },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void TheEnvelopeComesFromTheHeadersAsMailKitBuildsIt(string headers, string from, string[] recipients)
    {
        MimeMessage message = Parse(headers);

        (SmtpEnvelope envelope, _) = MimeSubmission.Prepare(message, null, null, Offered, null);

        Assert.Equal(from, envelope.From);
        Assert.Equal(recipients, envelope.Recipients);
    }

    [Fact]
    public void AnExplicitEnvelopeWinsOverTheHeadersAndIsDeduplicated()
    {
        MimeMessage message = Parse("From: a@x.test\nTo: b@y.test");

        (SmtpEnvelope envelope, _) = MimeSubmission.Prepare(
            message, MailboxAddress.Parse("bounce@x.test"), MimeSubmission.Unique([MailboxAddress.Parse("o@y.test"), MailboxAddress.Parse("O@y.test"), MailboxAddress.Parse("p@y.test")]), Offered, null);

        Assert.Equal("bounce@x.test", envelope.From);
        Assert.Equal(["o@y.test", "p@y.test"], envelope.Recipients);
    }

    [Theory]
    [InlineData("To: b@y.test", "no sender")]
    [InlineData("From: a@x.test", "no recipient")]
    [InlineData("From: a@x.test\nTo: b@y.test\nResent-From: r@z.test", "no recipient")]
    public void AMessageWithoutSenderOrRecipientIsRefusedClearly(string headers, string expected)
    {
        var error = Assert.Throws<InvalidOperationException>(() => MimeSubmission.Prepare(Parse(headers), null, null, Offered, null));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheFormatHidesBccResentBccAndContentLengthWritesCrlfAndLeavesTheCallersOptionsAlone()
    {
        var mine = new FormatOptions();
        (_, FormatOptions format) = MimeSubmission.Prepare(Parse("From: a@x.test\nTo: b@y.test"), null, null, Offered, new SmtpMimeOptions { Format = mine });

        Assert.NotSame(mine, format);
        Assert.Empty(mine.HiddenHeaders);
        Assert.Equal(NewLineFormat.Dos, format.NewLineFormat);
        Assert.True(format.EnsureNewLine);
        Assert.Contains(HeaderId.Bcc, format.HiddenHeaders);
        Assert.Contains(HeaderId.ResentBcc, format.HiddenHeaders);
        Assert.Contains(HeaderId.ContentLength, format.HiddenHeaders);
    }

    [Theory]
    [InlineData(true, "user@bücher.example", "user@bücher.example")]
    [InlineData(false, "user@bücher.example", "user@xn--bcher-kva.example")]
    public void DomainsBecomeALabelsWhereSmtpUtf8IsNotOffered(bool utf8, string address, string expected)
    {
        MimeMessage message = Parse("From: a@x.test");
        message.To.Add(MailboxAddress.Parse(address));

        (SmtpEnvelope envelope, _) = MimeSubmission.Prepare(message, null, null, utf8 ? Offered : EhloExtensions.EightBitMime, null);

        Assert.Equal(expected, Assert.Single(envelope.Recipients));
    }

    [Theory]
    [InlineData(false, ContentEncoding.Base64)]
    [InlineData(true, ContentEncoding.EightBit)]
    public void AMessageAlreadySignedIsNotReEncodedForA7BitServer(bool alreadySigned, ContentEncoding expected)
    {
        MimeMessage message = TestMessages.Plain("hi", "Grüße, schöne Grüße\n");
        TextPart part = Assert.IsType<TextPart>(message.Body);
        part.ContentTransferEncoding = ContentEncoding.EightBit;
        if (alreadySigned)
        {
            message.Headers.Add("DKIM-Signature", "v=1; a=rsa-sha256; d=example.com; s=x; h=from; bh=x; b=x");
        }

        MimeSubmission.Prepare(message, null, null, EhloExtensions.Pipelining, null);

        Assert.Equal(expected, part.ContentTransferEncoding);
    }

    private static MimeMessage Parse(string headers)
    {
        string text = headers.Replace("\n", "\r\n", StringComparison.Ordinal) + "\r\nSubject: test\r\n\r\nbody\r\n";
        return MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)));
    }
}
