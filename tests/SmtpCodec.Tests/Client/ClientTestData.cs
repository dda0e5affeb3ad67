using System.Buffers;
using System.Text;
using SmtpCodec.Capabilities;
using SmtpCodec.Client;
using SmtpCodec.Protocol;
using SmtpCodec.Replies;

namespace SmtpCodec.Tests.Client;

/// <summary>Building blocks for the client's policy tests: capabilities from EHLO lines, replies, transactions.</summary>
internal static class ClientTestData
{
    /// <summary>Capabilities as a server offering <paramref name="keywords"/> (whole EHLO lines after the code) has them.</summary>
    public static EhloCapabilities Offering(params string[] keywords)
    {
        var text = new StringBuilder("250-server.test\r\n");
        for (int i = 0; i < keywords.Length; i++)
        {
            text.Append(i == keywords.Length - 1 ? "250 " : "250-").Append(keywords[i]).Append("\r\n");
        }

        if (keywords.Length == 0)
        {
            text.Clear().Append("250 server.test\r\n");
        }

        var reader = new SmtpReplyReader(Encoding.UTF8.GetBytes(text.ToString()), isFinalBlock: true);
        Assert.Equal(OperationStatus.Done, reader.Read(out SmtpReply reply));
        var capabilities = new EhloCapabilities();
        Assert.Equal(SmtpCodecError.None, capabilities.Read(reply));
        return capabilities;
    }

    /// <summary>A reply with a code and a short text.</summary>
    public static SmtpResponse Reply(int code) => code == 0 ? default : new SmtpResponse(code, null, $"reply {code}");

    /// <summary>
    /// A transaction whose commands were written and whose replies were read as given: MAIL, each RCPT, DATA
    /// (0 for BDAT), and the end of data (0 when the content was not written; -1 when written and not answered).
    /// </summary>
    public static SmtpTransaction Transaction(int mail, int[] recipients, int data, int final)
    {
        var transaction = new SmtpTransaction();
        transaction.Reset(recipients.Length, usesData: data != 0, isBinary: false, allowsEightBit: false);
        transaction.CommandsWritten(mail: true, recipients.Length, data: data != 0);
        transaction.MarkTried();
        transaction.RecordMail(Reply(mail));
        foreach (int code in recipients)
        {
            transaction.RecordRecipient(Reply(code));
        }

        if (data != 0)
        {
            transaction.RecordData(Reply(data));
        }

        if (final != 0)
        {
            transaction.ContentWritten(last: true);
            if (final > 0)
            {
                transaction.RecordEndOfData(Reply(final));
            }
        }

        return transaction;
    }
}
