using System.Buffers;
using SmtpCodec.Commands;
using SmtpCodec.Protocol;

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
