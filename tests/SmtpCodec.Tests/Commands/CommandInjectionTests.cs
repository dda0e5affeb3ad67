using System.Buffers;
using SmtpCodec.Commands;
using SmtpCodec.Protocol;

namespace SmtpCodec.Tests.Commands;

public sealed class CommandInjectionTests
{
    /// <summary>Every text argument of every command: (argument name, whether UTF-8 is allowed there, valid value, writer call).</summary>
    private static readonly (string Argument, bool Utf8, string Valid, Func<IBufferWriter<byte>, string, CommandWriteResult> Write)[] Arguments =
    [
        ("domain", false, "mail.example.com", (w, s) => SmtpCommandWriter.WriteEhlo(w, s)),
        ("domain", false, "client.example", (w, s) => SmtpCommandWriter.WriteHelo(w, s)),
        ("reversePath", false, "a@example.com", (w, s) => SmtpCommandWriter.WriteMailFrom(w, s)),
        ("reversePath", true, "a@example.com", (w, s) => SmtpCommandWriter.WriteMailFrom(w, s, new MailFromParameters { SmtpUtf8 = true })),
        ("EnvelopeId", false, "QQ314159", (w, s) => SmtpCommandWriter.WriteMailFrom(w, "a@example.com", new MailFromParameters { EnvelopeId = s })),
        ("Auth", false, "a@example.com", (w, s) => SmtpCommandWriter.WriteMailFrom(w, "a@example.com", new MailFromParameters { Auth = s })),
        ("forwardPath", false, "b@example.com", (w, s) => SmtpCommandWriter.WriteRcptTo(w, s)),
        ("forwardPath", true, "b@example.com", (w, s) => SmtpCommandWriter.WriteRcptTo(w, s, new RcptToParameters { SmtpUtf8 = true })),
        ("OriginalRecipient", false, "b@example.com", (w, s) => SmtpCommandWriter.WriteRcptTo(w, "b@example.com", new RcptToParameters { OriginalRecipient = s })),
        ("text", false, "ping", (w, s) => SmtpCommandWriter.WriteNoop(w, s)),
        ("topic", false, "MAIL", (w, s) => SmtpCommandWriter.WriteHelp(w, s)),
        ("user", false, "postmaster", (w, s) => SmtpCommandWriter.WriteVrfy(w, s)),
        ("user", true, "postmaster", (w, s) => SmtpCommandWriter.WriteVrfy(w, s, smtpUtf8: true)),
        ("mailingList", false, "staff", (w, s) => SmtpCommandWriter.WriteExpn(w, s)),
        ("mailingList", true, "staff", (w, s) => SmtpCommandWriter.WriteExpn(w, s, smtpUtf8: true)),
    ];

    /// <summary>C0 controls (HT included, which no argument allows), DEL, and the CRLF of a smuggled command.</summary>
    private static readonly string[] Controls = ["\r", "\n", "\r\n", "\r\nRCPT TO:<evil@example.net>\r\n", "\0", "\t", "\u0001", "\u001b", "\u001f", "\u007f"];

    /// <summary>Characters whose low byte is LF or CR: they must never narrow into one.</summary>
    private static readonly string[] NarrowingTraps = ["\u760A", "\u760D", "\u010A", "\uFF0D"];

    public static TheoryData<int> ArgumentIndexes() => [.. Enumerable.Range(0, Arguments.Length)];

    [Theory]
    [MemberData(nameof(ArgumentIndexes))]
    public void TheValidValueOfEveryArgumentIsWritten(int index)
    {
        var (_, _, valid, write) = Arguments[index];
        var writer = new ArrayBufferWriter<byte>();

        Assert.True(write(writer, valid).Succeeded);
        Assert.True(writer.WrittenCount > 0);
    }

    [Theory]
    [MemberData(nameof(ArgumentIndexes))]
    public void AControlCharacterAnywhereInAnArgumentIsRefusedNamingItAndNothingIsWritten(int index)
    {
        var (argument, _, valid, write) = Arguments[index];
        foreach (string control in Controls)
        {
            foreach (string value in new[] { control + valid, valid[..2] + control + valid[2..], valid + control })
            {
                var writer = new ArrayBufferWriter<byte>();

                CommandWriteResult result = write(writer, value);

                Assert.Equal(SmtpCodecError.ArgumentHasControlCharacter, result.Error);
                Assert.Equal(argument, result.ArgumentName);
                Assert.Equal(0, writer.WrittenCount);
                Assert.Equal(0, result.BytesWritten);
            }
        }
    }

    [Theory]
    [MemberData(nameof(ArgumentIndexes))]
    public void ACharacterWhoseLowByteIsALineBreakNeverNarrowsIntoOne(int index)
    {
        var (argument, utf8, valid, write) = Arguments[index];
        foreach (string trap in NarrowingTraps)
        {
            var writer = new ArrayBufferWriter<byte>();

            CommandWriteResult result = write(writer, valid[..1] + trap + valid[1..]);

            if (!utf8)
            {
                Assert.Equal(SmtpCodecError.ArgumentNotAscii, result.Error);
                Assert.Equal(argument, result.ArgumentName);
                Assert.Equal(0, writer.WrittenCount);
            }
            else
            {
                // Under SMTPUTF8 the character is written as its UTF-8 bytes, none of them CR or LF.
                Assert.True(result.Succeeded, result.ToString());
                ReadOnlySpan<byte> line = writer.WrittenSpan;
                Assert.Equal(line.Length - 2, line.IndexOfAny((byte)'\r', (byte)'\n'));
                Assert.True(line.IndexOf(System.Text.Encoding.UTF8.GetBytes(trap)) > 0);
            }
        }
    }

    [Theory]
    [MemberData(nameof(ArgumentIndexes))]
    public void ALoneSurrogateIsRefusedNamingTheArgument(int index)
    {
        var (argument, _, valid, write) = Arguments[index];
        var writer = new ArrayBufferWriter<byte>();

        CommandWriteResult result = write(writer, valid[..1] + "\uD800" + valid[1..]);

        Assert.Equal(SmtpCodecError.ArgumentNotWellFormedUtf16, result.Error);
        Assert.Equal(argument, result.ArgumentName);
        Assert.Equal(0, writer.WrittenCount);
    }

    [Fact]
    public void NothingIsCommittedAfterAFailureEvenWhenTheWriterHasEarlierContent()
    {
        var writer = new ArrayBufferWriter<byte>();
        SmtpCommandWriter.WriteRset(writer);

        CommandWriteResult result = SmtpCommandWriter.WriteMailFrom(writer, "a@example.com", new MailFromParameters { Size = 10, EnvelopeId = "x\ny" });

        Assert.Equal("EnvelopeId", result.ArgumentName);
        Assert.Equal("RSET\r\n"u8.ToArray(), writer.WrittenSpan.ToArray());
    }
}
