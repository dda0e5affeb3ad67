using System.Text;
using SmtpCodec.Protocol;
using SmtpCodec.Replies;
using static SmtpCodec.Tests.Replies.ReplyFixture;

namespace SmtpCodec.Tests.Replies;

/// <summary>
/// Every reply fixture in one place: the seed article's server side, EHLO replies in the formats of real
/// servers, pipelined batches, and every invalid form of the reply grammar.
/// </summary>
public static class ReplyFixtures
{
    /// <summary>The article's iCloud EHLO list, with the greeting-domain line RFC 5321 4.1.1.1 puts first and a last line.</summary>
    public const string ICloudEhlo =
        "250-smtp.mail.me.com\r\n250-PIPELINING\r\n250-SIZE 28319744\r\n250-ETRN\r\n" +
        "250-AUTH LOGIN PLAIN ATOKEN ATOKEN2 WSTOKEN WETOKEN XOAUTH2\r\n250-ENHANCEDSTATUSCODES\r\n" +
        "250-8BITMIME\r\n250-DSN\r\n250 SMTPUTF8\r\n";

    public const string PostfixEhlo =
        "250-mail.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n" +
        "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n";

    /// <summary>Postfix's smtp-sink ends its list with an empty "250 " line.</summary>
    public const string PostfixSmtpSinkEhlo =
        "250-sink.example.com\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n250-AUTH=PLAIN LOGIN\r\n" +
        "250-XCLIENT NAME HELO\r\n250-XFORWARD NAME ADDR PROTO HELO\r\n250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n250 \r\n";

    public const string EximEhlo =
        "250-mx.example.org Hello client.example.net [192.0.2.1]\r\n250-SIZE 52428800\r\n250-LIMITS MAILMAX=1000 RCPTMAX=50000\r\n" +
        "250-8BITMIME\r\n250-PIPELINING\r\n250-PIPECONNECT\r\n250-CHUNKING\r\n250-STARTTLS\r\n250-PRDR\r\n250 HELP\r\n";

    public const string GmailLikeEhlo =
        "250-smtp.gmail.com at your service, [203.0.113.7]\r\n250-SIZE 35882577\r\n250-8BITMIME\r\n" +
        "250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH\r\n250-ENHANCEDSTATUSCODES\r\n" +
        "250-PIPELINING\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n";

    public const string ExchangeLikeEhlo =
        "250-BN8PR03CA0001.outlook.office365.com Hello [198.51.100.4]\r\n250-SIZE 157286400\r\n250-PIPELINING\r\n" +
        "250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n250-AUTH LOGIN XOAUTH2\r\n250-8BITMIME\r\n250-BINARYMIME\r\n" +
        "250-CHUNKING\r\n250 SMTPUTF8\r\n";

    public const string AiosmtpdEhlo =
        "250-mail.example.com\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-AUTH LOGIN PLAIN\r\n250 HELP\r\n";

    public const string NodeSmtpServerEhlo =
        "250-localhost Nice to meet you, [127.0.0.1]\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n" +
        "250-AUTH LOGIN PLAIN\r\n250 STARTTLS\r\n";

    public static IReadOnlyList<ReplyFixture> All { get; } = Build();

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (ReplyFixture fixture in All)
        {
            data.Add(fixture.Name);
        }

        return data;
    }

    public static ReplyFixture Get(string name) => All.Single(f => f.Name == name);

    /// <summary>The expected reply of a multiline EHLO text: each line's text after "250-" / "250 ".</summary>
    public static ExpectedReply Ehlo(string text) =>
        new(250, null, text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Select(l => l.Length > 4 ? l[4..] : "").ToArray());

    private static List<ReplyFixture> Build()
    {
        var small = new SmtpReplyReaderOptions { MaxLineLength = 16, MaxReplyLength = 40, MaxLines = 3 };
        var strict = new SmtpReplyReaderOptions { RequireCrLf = true };
        var fixtures = new List<ReplyFixture>
        {
            // The seed article's server side.
            Valid("iCloud EHLO", ICloudEhlo, Ehlo(ICloudEhlo)),
            Valid("bare 334", "334\r\n", new ExpectedReply(334, null, "")),
            Valid("334 with a space and no text", "334 \r\n", new ExpectedReply(334, null, "")),
            Valid("235 authentication successful", "235 2.7.0 Authentication successful\r\n", new ExpectedReply(235, "2.7.0", "2.7.0 Authentication successful")),
            Valid("250 2.1.0", "250 2.1.0 0k\r\n", new ExpectedReply(250, "2.1.0", "2.1.0 0k")),
            Valid("250 2.1.5", "250 2.1.5 0k\r\n", new ExpectedReply(250, "2.1.5", "2.1.5 0k")),
            Valid("250 queued", "250 2.0.0 0k: queued as 343FD5003CE\r\n", new ExpectedReply(250, "2.0.0", "2.0.0 0k: queued as 343FD5003CE")),

            // EHLO replies as real servers write them.
            Valid("Postfix EHLO", PostfixEhlo, Ehlo(PostfixEhlo)),
            Valid("Postfix smtp-sink EHLO ending in an empty line", PostfixSmtpSinkEhlo, Ehlo(PostfixSmtpSinkEhlo)),
            Valid("Exim EHLO", EximEhlo, Ehlo(EximEhlo)),
            Valid("Gmail-like EHLO", GmailLikeEhlo, Ehlo(GmailLikeEhlo)),
            Valid("Exchange-like EHLO", ExchangeLikeEhlo, Ehlo(ExchangeLikeEhlo)),
            Valid("aiosmtpd EHLO", AiosmtpdEhlo, Ehlo(AiosmtpdEhlo)),
            Valid("Node smtp-server EHLO", NodeSmtpServerEhlo, Ehlo(NodeSmtpServerEhlo)),

            // Other valid shapes.
            Valid("greeting", "220 smtp.example.com ESMTP ready\r\n", new ExpectedReply(220, null, "smtp.example.com ESMTP ready")),
            Valid("multiline greeting", "220-smtp.example.com ESMTP\r\n220-No UCE\r\n220 ready\r\n", new ExpectedReply(220, null, "smtp.example.com ESMTP", "No UCE", "ready")),
            Valid("bare LF line ends are accepted by default", "250-a\n250 b\n", new ExpectedReply(250, null, "a", "b")),
            Valid("mixed line ends", "250-a\r\n250-b\n250 c\r\n", new ExpectedReply(250, null, "a", "b", "c")),
            Valid("a code alone ending a multiline reply", "250-first\r\n250\r\n", new ExpectedReply(250, null, "first", "")),
            Valid("a code alone with a bare LF", "354\n", new ExpectedReply(354, null, "")),
            Valid("HT in text", "250 a\tb\r\n", new ExpectedReply(250, null, "a\tb")),
            Valid("UTF-8 text (SMTPUTF8)", "550 5.1.1 Empfänger unbekannt ☹\r\n", new ExpectedReply(550, "5.1.1", "5.1.1 Empfänger unbekannt ☹")),
            Valid("421 with an enhanced code", "421 4.3.2 Service shutting down\r\n", new ExpectedReply(421, "4.3.2", "4.3.2 Service shutting down")),
            Valid("enhanced code at the end of the line", "550 5.1.1\r\n", new ExpectedReply(550, "5.1.1", "5.1.1")),
            Valid("enhanced code with three-digit parts", "550 5.999.999 x\r\n", new ExpectedReply(550, "5.999.999", "5.999.999 x")),
            Valid("enhanced code of another class is not one", "250 5.1.1 odd\r\n", new ExpectedReply(250, null, "5.1.1 odd")),
            Valid("enhanced code with a four-digit part is not one", "550 5.1.1234 x\r\n", new ExpectedReply(550, null, "5.1.1234 x")),
            Valid("enhanced code followed by a letter is not one", "550 5.1.1x\r\n", new ExpectedReply(550, null, "5.1.1x")),
            Valid("enhanced code followed by HT is not one", "550 5.1.1\tx\r\n", new ExpectedReply(550, null, "5.1.1\tx")),
            Valid("enhanced code missing its detail is not one", "550 5.1. x\r\n", new ExpectedReply(550, null, "5.1. x")),
            Valid("enhanced code of the first line wins", "450-4.2.1 busy\r\n450 4.7.1 later\r\n", new ExpectedReply(450, "4.2.1", "4.2.1 busy", "4.7.1 later")),
            Valid("empty input", ""),
            Valid(
                "pipelined MAIL, RCPT, RCPT, DATA replies in one buffer",
                "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 <nobody@example.com>: Recipient address rejected\r\n354 End data with <CR><LF>.<CR><LF>\r\n",
                new ExpectedReply(250, "2.1.0", "2.1.0 Ok"),
                new ExpectedReply(250, "2.1.5", "2.1.5 Ok"),
                new ExpectedReply(550, "5.1.1", "5.1.1 <nobody@example.com>: Recipient address rejected"),
                new ExpectedReply(354, null, "End data with <CR><LF>.<CR><LF>")),
            Valid(
                "pipelined end of data, then the next transaction",
                "250 2.0.0 Ok: queued as 4BxyZ1\r\n250-2.1.0 Ok\r\n250 2.1.0 really\r\n221 2.0.0 Bye\r\n",
                new ExpectedReply(250, "2.0.0", "2.0.0 Ok: queued as 4BxyZ1"),
                new ExpectedReply(250, "2.1.0", "2.1.0 Ok", "2.1.0 really"),
                new ExpectedReply(221, "2.0.0", "2.0.0 Bye")),

            // Every invalid reply form (docs/architecture.md, "Codec rules").
            Invalid("first digit 1", "199 x\r\n", SmtpCodecError.InvalidReplyCode, 0),
            Invalid("first digit 6", "600 x\r\n", SmtpCodecError.InvalidReplyCode, 0),
            Invalid("second digit 6", "260 x\r\n", SmtpCodecError.InvalidReplyCode, 1),
            Invalid("a letter in the code", "2a0 x\r\n", SmtpCodecError.InvalidReplyCode, 1),
            Invalid("third digit not a digit", "25x x\r\n", SmtpCodecError.InvalidReplyCode, 2),
            Invalid("two-digit code", "25\r\n", SmtpCodecError.InvalidReplyCode, 2),
            Invalid("a line starting with a space", " 250 x\r\n", SmtpCodecError.InvalidReplyCode, 0),
            Invalid("a letter after the code", "250x\r\n", SmtpCodecError.InvalidCodeSeparator, 3),
            Invalid("HT after the code", "250\tx\r\n", SmtpCodecError.InvalidCodeSeparator, 3),
            Invalid("a fourth digit", "2500 x\r\n", SmtpCodecError.InvalidCodeSeparator, 3),
            Invalid("a different code on a continuation line", "250-a\r\n251 b\r\n", SmtpCodecError.MismatchedContinuationCode, 7),
            Invalid("a different class on the last line", "250-a\r\n250-b\r\n550 c\r\n", SmtpCodecError.MismatchedContinuationCode, 14),
            Invalid("a bare CR in text", "250 a\rb\r\n", SmtpCodecError.BareCarriageReturn, 5),
            Invalid("a bare CR after the code", "250\rx\r\n", SmtpCodecError.BareCarriageReturn, 3),
            Invalid("CR CR LF", "250 a\r\r\n", SmtpCodecError.BareCarriageReturn, 5),
            Invalid("NUL in text", "250 a\0b\r\n", SmtpCodecError.InvalidControlByte, 5),
            Invalid("ESC in text", "250 a\u001b[31m\r\n", SmtpCodecError.InvalidControlByte, 5),
            Invalid("vertical tab in text", "250 a\u000bb\r\n", SmtpCodecError.InvalidControlByte, 5),
            Invalid("DEL in text", "250 a\u007fb\r\n", SmtpCodecError.InvalidControlByte, 5),
            Invalid("a valid reply then a bad code", "250 ok\r\n999\r\n", SmtpCodecError.InvalidReplyCode, 8, new ExpectedReply(250, null, "ok")),
            Invalid("truncated in the code", "25", SmtpCodecError.TruncatedReply, 2),
            Invalid("truncated after CR", "250 ok\r", SmtpCodecError.TruncatedReply, 7),
            Invalid("truncated multiline reply", "250-a\r\n250 b", SmtpCodecError.TruncatedReply, 12),
            Invalid("a valid reply then a truncated one", "250 ok\r\n5", SmtpCodecError.TruncatedReply, 9, new ExpectedReply(250, null, "ok")),
            Invalid("a continuation line that never ends the reply", "250-a\r\n", SmtpCodecError.TruncatedReply, 7),
        };

        // A hundred recipients' replies pipelined into one buffer (RFC 2920), every third one refused.
        var batch = new StringBuilder();
        var batchReplies = new List<ExpectedReply>();
        for (int i = 0; i < 100; i++)
        {
            string line = i % 3 == 2 ? $"550 5.1.1 <user{i}@example.com>: Recipient address rejected" : $"250 2.1.5 Recipient {i} ok";
            batch.Append(line).Append("\r\n");
            batchReplies.Add(new ExpectedReply(i % 3 == 2 ? 550 : 250, i % 3 == 2 ? "5.1.1" : "2.1.5", line[4..]));
        }

        fixtures.Add(new ReplyFixture("a hundred pipelined RCPT replies in one buffer", Bytes(batch.ToString()), batchReplies.ToArray()));
        fixtures.Add(new ReplyFixture("a bare LF when CRLF is required", Bytes("250 a\n"), [], SmtpCodecError.BareLineFeed, 5, strict));
        fixtures.Add(new ReplyFixture("a bare LF after a code alone when CRLF is required", Bytes("250\n"), [], SmtpCodecError.BareLineFeed, 3, strict));
        fixtures.Add(new ReplyFixture("CRLF when CRLF is required", Bytes("250-a\r\n250 b\r\n"), [new ExpectedReply(250, null, "a", "b")], Options: strict));
        fixtures.Add(new ReplyFixture("a line at the line limit", Bytes("250 0123456789\r\n"), [new ExpectedReply(250, null, "0123456789")], Options: small));
        fixtures.Add(new ReplyFixture("a line one byte over the line limit", Bytes("250 01234567890\r\n"), [], SmtpCodecError.LineTooLong, 16, small));
        fixtures.Add(new ReplyFixture("a line far over the line limit with no end", Bytes("250 " + new string('x', 100)), [], SmtpCodecError.LineTooLong, 16, small));
        fixtures.Add(new ReplyFixture("a code alone over a tiny line limit", Bytes("250-0123456789\r\n250\r\r\n"), [], SmtpCodecError.BareCarriageReturn, 19, small));
        fixtures.Add(new ReplyFixture("a reply over the reply limit", Bytes("250-0123456789\r\n250-0123456789\r\n250 0123456789\r\n"), [], SmtpCodecError.ReplyTooLong, 40, small));
        fixtures.Add(new ReplyFixture("too many lines", Bytes("250-a\r\n250-b\r\n250-c\r\n250 d\r\n"), [], SmtpCodecError.TooManyLines, 21, small));
        fixtures.Add(new ReplyFixture("as many lines as allowed", Bytes("250-a\r\n250-b\r\n250 c\r\n"), [new ExpectedReply(250, null, "a", "b", "c")], Options: small));
        fixtures.Add(new ReplyFixture("a default-limit line of 8192 bytes", Bytes("250 " + new string('y', 8186) + "\r\n"), [new ExpectedReply(250, null, new string('y', 8186))]));
        fixtures.Add(new ReplyFixture("a default-limit line of 8193 bytes", Bytes("250 " + new string('y', 8187) + "\r\n"), [], SmtpCodecError.LineTooLong, 8192));
        return fixtures;
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
