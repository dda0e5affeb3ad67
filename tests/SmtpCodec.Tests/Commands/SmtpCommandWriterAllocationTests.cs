using System.Buffers;
using SmtpCodec.Commands;
using SmtpCodec.Protocol;
using SmtpCodec.Sasl;

namespace SmtpCodec.Tests.Commands;

public sealed class SmtpCommandWriterAllocationTests
{
    private const string Sender = "sender+bulk@mail.example.com";
    private const string Recipient = "recipient@example.org";

    [Fact]
    public void WritingMailFromWithParametersAndRcptToAllocatesNothing()
    {
        var writer = new ArrayBufferWriter<byte>(64 * 1024);
        WriteTransaction(writer);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 1000; k++)
        {
            writer.ResetWrittenCount();
            WriteTransaction(writer);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.StartsWith("MAIL FROM:<sender+bulk@mail.example.com> SIZE=52000 BODY=8BITMIME", System.Text.Encoding.ASCII.GetString(writer.WrittenSpan), StringComparison.Ordinal);
    }

    private static readonly byte[] ShortResponse = "\0user\0password"u8.ToArray();
    private static readonly byte[] LongResponse = new byte[600];
    private static readonly byte[] TooLongResponse = new byte[10 * 1024];
    private static readonly string TooLongText = new('x', 600);

    /// <summary>Every command, and the failure paths, each with whether it succeeds.</summary>
    private static readonly Dictionary<string, (Func<IBufferWriter<byte>, CommandWriteResult> Write, bool Succeeds)> Commands = new()
    {
        ["EHLO"] = (w => SmtpCommandWriter.WriteEhlo(w, "client.example.com"), true),
        ["HELO"] = (w => SmtpCommandWriter.WriteHelo(w, "client.example.com"), true),
        ["VRFY"] = (w => SmtpCommandWriter.WriteVrfy(w, "someone"), true),
        ["EXPN"] = (w => SmtpCommandWriter.WriteExpn(w, "list"), true),
        ["HELP"] = (w => SmtpCommandWriter.WriteHelp(w), true),
        ["HELP topic"] = (w => SmtpCommandWriter.WriteHelp(w, "MAIL"), true),
        ["NOOP"] = (w => SmtpCommandWriter.WriteNoop(w), true),
        ["NOOP text"] = (w => SmtpCommandWriter.WriteNoop(w, "ping"), true),
        ["RSET"] = (w => SmtpCommandWriter.WriteRset(w), true),
        ["BDAT"] = (w => SmtpCommandWriter.WriteBdat(w, 123456, last: false), true),
        ["BDAT LAST"] = (w => SmtpCommandWriter.WriteBdat(w, 0, last: true), true),
        ["AUTH"] = (w => SmtpCommandWriter.WriteAuth(w, SaslMechanism.Login), true),
        ["AUTH inline"] = (w => SmtpCommandWriter.WriteAuth(w, SaslMechanism.Plain, ShortResponse), true),
        ["AUTH deferred"] = (w => SmtpCommandWriter.WriteAuth(w, SaslMechanism.XOAuth2, LongResponse), true),
        ["AUTH response"] = (w => SmtpCommandWriter.WriteAuthResponse(w, LongResponse), true),
        ["*"] = (w => SmtpCommandWriter.WriteAuthCancel(w), true),
        ["STARTTLS"] = (w => SmtpCommandWriter.WriteStartTls(w), true),
        ["QUIT"] = (w => SmtpCommandWriter.WriteQuit(w), true),
        ["EHLO with CRLF"] = (w => SmtpCommandWriter.WriteEhlo(w, "client\r\nRCPT TO:<x@y>"), false),
        ["HELO not a domain"] = (w => SmtpCommandWriter.WriteHelo(w, "not a domain"), false),
        ["VRFY non-ASCII without SMTPUTF8"] = (w => SmtpCommandWriter.WriteVrfy(w, "d\u00e9j\u00e0"), false),
        ["HELP with LF"] = (w => SmtpCommandWriter.WriteHelp(w, "MAIL\nQUIT"), false),
        ["NOOP too long"] = (w => SmtpCommandWriter.WriteNoop(w, TooLongText), false),
        ["MAIL bad path"] = (w => SmtpCommandWriter.WriteMailFrom(w, "a b@c"), false),
        ["RCPT with NUL"] = (w => SmtpCommandWriter.WriteRcptTo(w, "a\0@example.com"), false),
        ["AUTH unknown mechanism"] = (w => SmtpCommandWriter.WriteAuth(w, (SaslMechanism)250), false),
        ["AUTH response too long"] = (w => SmtpCommandWriter.WriteAuthResponse(w, TooLongResponse), false),
    };

    public static TheoryData<string> CommandNames() => [.. Commands.Keys];

    [Theory]
    [MemberData(nameof(CommandNames))]
    public void WritingEveryCommandAndEveryRefusalAllocatesNothing(string name)
    {
        (Func<IBufferWriter<byte>, CommandWriteResult> write, bool succeeds) = Commands[name];
        var writer = new ArrayBufferWriter<byte>(64 * 1024);
        Assert.Equal(succeeds, write(writer).Succeeded);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 100; k++)
        {
            writer.ResetWrittenCount();
            _ = write(writer);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    private static void WriteTransaction(ArrayBufferWriter<byte> writer)
    {
        var mail = new MailFromParameters
        {
            Size = 52000,
            Body = BodyType.EightBitMime,
            Return = DsnReturn.Headers,
            EnvelopeId = "QQ314159",
            Auth = Sender,
            MtPriority = 2,
        };
        Assert.True(SmtpCommandWriter.WriteMailFrom(writer, Sender, mail).Succeeded);
        var rcpt = new RcptToParameters { Notify = DsnNotifyFlags.Failure | DsnNotifyFlags.Delay, OriginalRecipient = Recipient };
        Assert.True(SmtpCommandWriter.WriteRcptTo(writer, Recipient, rcpt).Succeeded);
        Assert.True(SmtpCommandWriter.WriteRcptTo(writer, Recipient).Succeeded);
        Assert.True(SmtpCommandWriter.WriteData(writer).Succeeded);
    }
}
