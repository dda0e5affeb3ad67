using System.Buffers;
using System.Text;
using SmtpCodec.Client;
using SmtpCodec.Commands;
using SmtpCodec.Protocol;
using static SmtpCodec.Tests.Client.ClientTestData;

namespace SmtpCodec.Tests.Client;

/// <summary>The mail plan as a table: envelope, what the server offers and the content's facts give MAIL and RCPT, or a clear refusal.</summary>
public sealed class MailPlannerTests
{
    public static TheoryData<string, string[], bool, long, bool, string> Cases => new()
    {
        // envelope (see Envelope), EHLO keywords, TLS, size (-1 unknown), 8-bit content, MAIL and RCPT lines or "error: ..."
        { "plain", [], false, 100, false, "MAIL FROM:<a@example.com> | RCPT TO:<b@example.com>" },
        { "plain", ["SIZE 1000"], false, 100, false, "MAIL FROM:<a@example.com> SIZE=100 | RCPT TO:<b@example.com>" },
        { "plain", ["SIZE"], false, -1, false, "MAIL FROM:<a@example.com> | RCPT TO:<b@example.com>" },
        { "plain", ["SIZE 50"], false, 100, false, "error: The message has 100 bytes; the server's SIZE limit is 50." },
        { "plain", ["SIZE 0"], false, 100, false, "MAIL FROM:<a@example.com> SIZE=100 | RCPT TO:<b@example.com>" },
        { "plain", ["8BITMIME"], false, 100, true, "MAIL FROM:<a@example.com> BODY=8BITMIME | RCPT TO:<b@example.com>" },
        { "plain", [], false, 100, true, "error: 8-bit content needs the server to offer 8BITMIME, and it does not." },
        { "seven bit", ["8BITMIME"], false, 100, true, "error: BODY=7BIT was declared and the message has 8-bit bytes: declare EightBitMime, or leave Body to be chosen." },
        { "seven bit", ["8BITMIME"], false, 100, false, "MAIL FROM:<a@example.com> BODY=7BIT | RCPT TO:<b@example.com>" },
        { "binary", ["8BITMIME", "CHUNKING"], false, 100, false, "error: BODY=BINARYMIME needs the server to offer BINARYMIME and CHUNKING (RFC 3030 section 3), and it does not." },
        { "binary", ["BINARYMIME", "CHUNKING"], false, 100, true, "MAIL FROM:<a@example.com> BODY=BINARYMIME | RCPT TO:<b@example.com>" },
        { "dsn", ["DSN"], false, 100, false, "MAIL FROM:<a@example.com> RET=HDRS ENVID=id+2Bone | RCPT TO:<b@example.com> NOTIFY=SUCCESS,FAILURE" },
        { "dsn", [], false, 100, false, "error: Delivery status notification parameters needs the server to offer DSN, and it does not." },
        { "requiretls", ["REQUIRETLS"], true, 100, false, "MAIL FROM:<a@example.com> REQUIRETLS | RCPT TO:<b@example.com>" },
        { "requiretls", ["REQUIRETLS"], false, 100, false, "error: REQUIRETLS needs the server to offer REQUIRETLS over TLS, and it does not." },
        { "priority", ["MT-PRIORITY"], false, 100, false, "MAIL FROM:<a@example.com> MT-PRIORITY=3 | RCPT TO:<b@example.com>" },
        { "priority", [], false, 100, false, "error: MT-PRIORITY needs the server to offer MT-PRIORITY, and it does not." },
        { "utf8 domain", ["SMTPUTF8", "8BITMIME"], false, 100, false, "MAIL FROM:<a@example.com> SMTPUTF8 | RCPT TO:<b@bücher.example>" },
        { "utf8 domain", [], false, 100, false, "MAIL FROM:<a@example.com> | RCPT TO:<b@xn--bcher-kva.example>" },
        { "utf8 local part", [], false, 100, false, "error: The address 'jörg@example.com' has a non-ASCII local part and the server does not offer SMTPUTF8." },
        { "deliver by", ["DELIVERBY"], false, 100, false, "MAIL FROM:<a@example.com> BY=120;R | RCPT TO:<b@example.com>" },
        { "deliver by", ["DELIVERBY 60"], false, 100, false, "MAIL FROM:<a@example.com> BY=120;R | RCPT TO:<b@example.com>" },
        { "deliver by", ["DELIVERBY 300"], false, 100, false, "error: BY=120;R asks for less time than the server's DELIVERBY minimum of 300 seconds." },
        { "deliver by", [], false, 100, false, "error: BY= (deliver by) needs the server to offer DELIVERBY, and it does not." },
        { "every parameter", ["SIZE", "8BITMIME", "DSN", "REQUIRETLS", "MT-PRIORITY", "SMTPUTF8", "DELIVERBY"], true, 100, true,
            "MAIL FROM:<a@example.com> SIZE=100 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=id+2Bone REQUIRETLS MT-PRIORITY=3 BY=120;R | RCPT TO:<b@bücher.example> NOTIFY=SUCCESS,FAILURE" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheEnvelopeAndTheOfferGiveTheCommandsOrAClearRefusal(string envelope, string[] keywords, bool tls, long size, bool eightBit, string expected)
    {
        string actual;
        try
        {
            MailPlan plan = MailPlanner.Plan(Envelope(envelope), Offering(keywords), tls, batch: null, size, eightBit);
            actual = Render(plan);
        }
        catch (SmtpException e)
        {
            Assert.False(e.IsTransient);
            actual = "error: " + e.Message;
        }

        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData(new string[0], int.MaxValue)]
    [InlineData(new[] { "LIMITS RCPTMAX=2" }, 2)]
    [InlineData(new[] { "LIMITS MAILMAX=5" }, int.MaxValue)]
    public void RcptMaxSetsHowManyRecipientsOneTransactionCarries(string[] keywords, int expected) =>
        Assert.Equal(expected, MailPlanner.RecipientBatchLimit(Offering(keywords)));

    [Theory]
    [InlineData(new[] { "8BITMIME", "SMTPUTF8" }, false, "MAIL FROM:<a@example.com> BODY=8BITMIME SMTPUTF8 | RCPT TO:<b@example.com>")]
    [InlineData(new[] { "8BITMIME" }, false, "MAIL FROM:<a@example.com> BODY=8BITMIME | RCPT TO:<b@example.com>")]
    [InlineData(new[] { "8BITMIME", "SMTPUTF8" }, true, "MAIL FROM:<a@example.com> BODY=8BITMIME SMTPUTF8 | RCPT TO:<b@example.com>")]
    [InlineData(new[] { "8BITMIME" }, true, "error: A message with UTF-8 headers (SmtpEnvelope.SmtpUtf8) needs the server to offer SMTPUTF8, and it does not.")]
    public void Utf8HeadersDeclareSmtpUtf8WhereOffered(string[] keywords, bool declared, string expected)
    {
        var envelope = new SmtpEnvelope("a@example.com", "b@example.com") { SmtpUtf8 = declared };
        string actual;
        try
        {
            actual = Render(MailPlanner.Plan(envelope, Offering(keywords), encrypted: false, batch: null, size: -1, eightBit: true, utf8Headers: !declared));
        }
        catch (SmtpException e)
        {
            actual = "error: " + e.Message;
        }

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void ABatchPlansOnlyItsRecipientsInTheirOrder()
    {
        var envelope = new SmtpEnvelope("a@example.com", "r0@example.com", "r1@example.com", "r2@example.com");
        MailPlan plan = MailPlanner.Plan(envelope, Offering(), encrypted: false, batch: [2, 0], size: 10, eightBit: false);
        Assert.Equal(2, plan.RecipientCount);
        Assert.Equal("r2@example.com", plan.RecipientAt(0));
        Assert.Equal("r0@example.com", plan.RecipientAt(1));
    }

    private static SmtpEnvelope Envelope(string name) => name switch
    {
        "plain" => new SmtpEnvelope("a@example.com", "b@example.com"),
        "binary" => new SmtpEnvelope("a@example.com", "b@example.com") { Body = BodyType.BinaryMime },
        "seven bit" => new SmtpEnvelope("a@example.com", "b@example.com") { Body = BodyType.SevenBit },
        "dsn" => new SmtpEnvelope("a@example.com", "b@example.com") { Return = DsnReturn.Headers, EnvelopeId = "id+one", Notify = DsnNotifyFlags.Success | DsnNotifyFlags.Failure },
        "requiretls" => new SmtpEnvelope("a@example.com", "b@example.com") { RequireTls = true },
        "priority" => new SmtpEnvelope("a@example.com", "b@example.com") { Priority = 3 },
        "deliver by" => new SmtpEnvelope("a@example.com", "b@example.com") { DeliverBy = new DeliverByRequest(120, DeliverByMode.Return) },
        "utf8 domain" => new SmtpEnvelope("a@example.com", "b@bücher.example"),
        "utf8 local part" => new SmtpEnvelope("jörg@example.com", "b@example.com"),
        "every parameter" => new SmtpEnvelope("a@example.com", "b@bücher.example")
        {
            Return = DsnReturn.Headers,
            EnvelopeId = "id+one",
            Notify = DsnNotifyFlags.Success | DsnNotifyFlags.Failure,
            RequireTls = true,
            Priority = 3,
            DeliverBy = new DeliverByRequest(120, DeliverByMode.Return),
        },
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static string Render(MailPlan plan)
    {
        var buffer = new ArrayBufferWriter<byte>();
        SmtpCommandWriter.WriteMailFrom(buffer, plan.From, plan.Parameters()).ThrowIfFailed();
        for (int i = 0; i < plan.RecipientCount; i++)
        {
            SmtpCommandWriter.WriteRcptTo(buffer, plan.RecipientAt(i), plan.RecipientParameters()).ThrowIfFailed();
        }

        return string.Join(" | ", Encoding.UTF8.GetString(buffer.WrittenSpan).Split("\r\n", StringSplitOptions.RemoveEmptyEntries));
    }
}
