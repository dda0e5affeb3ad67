using System.Buffers;
using System.Text;
using SmtpCodec.Commands;
using SmtpCodec.Data;
using SmtpCodec.Protocol;
using SmtpCodec.Sasl;

namespace SmtpCodec.Tests.Readme;

/// <summary>The README's "Writing commands" example, compiled and run, so that the README stays true.</summary>
public sealed class ReadmeCodecExampleTests
{
    [Fact]
    public void TheReadmeExampleWritesTheCommandsDataBdatAndAuthItShows()
    {
        string written = Encoding.ASCII.GetString(Example().WrittenSpan);

        Assert.StartsWith(
            "EHLO client.example.com\r\nMAIL FROM:<you@icloud.com> SIZE=52000 BODY=8BITMIME ENVID=QQ314159\r\nRCPT TO:<friend@example.org> NOTIFY=FAILURE,DELAY\r\n" +
            "Hello\r\n..dot line\r\n.\r\nBDAT 8 LAST\r\nHi\r\nyo\r\nAUTH SCRAM-SHA-256 ",
            written,
            StringComparison.Ordinal);
    }

    private static ArrayBufferWriter<byte> Example()
    {
        // --- README example starts here ---
        var output = new ArrayBufferWriter<byte>();
        SmtpCommandWriter.WriteEhlo(output, "client.example.com").ThrowIfFailed();
        SmtpCommandWriter.WriteMailFrom(output, "you@icloud.com",
            new MailFromParameters { Size = 52_000, Body = BodyType.EightBitMime, EnvelopeId = "QQ314159" }).ThrowIfFailed();
        SmtpCommandWriter.WriteRcptTo(output, "friend@example.org",
            new RcptToParameters { Notify = DsnNotifyFlags.Failure | DsnNotifyFlags.Delay }).ThrowIfFailed();

        // An address holding "\r\nRCPT TO:<...>" is refused, names its argument and writes nothing.
        CommandWriteResult refused = SmtpCommandWriter.WriteMailFrom(output, "you@icloud.com\r\nRCPT TO:<victim@example.org>");
        // refused.Error == SmtpCodecError.ArgumentHasControlCharacter, refused.ArgumentName == "reversePath"

        // DATA: streaming dot-stuffing; any chunking gives the same bytes; the final block adds "." CRLF.
        var stuffer = new DotStuffer();
        stuffer.Stuff("Hello\n.dot "u8, output, isFinalBlock: false);
        stuffer.Stuff("line"u8, output, isFinalBlock: true);

        // BDAT: "BDAT n [LAST]" and the chunk, line breaks optionally made CRLF across chunks.
        var chunks = new BdatChunkWriter(normalizeLineBreaks: true);
        chunks.WriteChunk("Hi\nyo\n"u8, output, last: true).ThrowIfFailed();

        // SASL: pure steps; the writer base64-encodes the raw responses.
        var scram = new ScramSha256SaslClient("user", "pencil");
        Span<byte> response = stackalloc byte[256];
        scram.WriteInitialResponse(response, out int length, out _);
        CommandWriteResult auth = SmtpCommandWriter.WriteAuth(output, scram.Mechanism, response[..length]);
        // auth.InitialResponseDeferred: the line would pass 512 octets; send the response after the 334 instead.
        // --- README example ends here ---
        Assert.Equal(SmtpCodecError.ArgumentHasControlCharacter, refused.Error);
        Assert.Equal("reversePath", refused.ArgumentName);
        Assert.False(auth.InitialResponseDeferred);
        return output;
    }
}
