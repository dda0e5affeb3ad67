using System.Buffers;
using System.Text;
using SmtpCodec.Client;
using SmtpCodec.Data;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.Tests.Client;

/// <summary>What is known of a message's content before MAIL: its size, 8-bit bytes, UTF-8 in its headers.</summary>
public sealed class MessageContentTests
{
    [Theory]
    [InlineData("Subject: caf\u00e9\r\n\r\nplain body\r\n", true, true)]
    [InlineData("Subject: plain\r\n\r\ncaf\u00e9 in the body\r\n", true, false)]
    [InlineData("Subject: plain\n\nbody caf\u00e9\n", true, false)]
    [InlineData("Subject: plain\r\nX-Name: J\u00f6rg\n\r\nbody\r\n", true, true)]
    [InlineData("\r\nSubject-looking body line caf\u00e9\r\n", true, false)]
    [InlineData("Subject: plain\r\n\r\nplain\r\n", false, false)]
    [InlineData("Subject: no body at all caf\u00e9", true, true)]
    public async Task MemoryAndSeekableStreamsAreScannedAlike(string message, bool eightBit, bool utf8Headers)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(message);
        var memory = new MessageContent(new ReadOnlyMemory<byte>(bytes));
        Assert.Equal((eightBit, utf8Headers, true), (memory.HasEightBitBytes, memory.HeadersHaveEightBitBytes, memory.EightBitKnown));

        // Split in every place: the header scan carries its state across segments.
        for (int split = 1; split < bytes.Length; split++)
        {
            var pieces = new MessageContent(Segments.Of(bytes[..split], bytes[split..]));
            Assert.Equal((eightBit, utf8Headers), (pieces.HasEightBitBytes, pieces.HeadersHaveEightBitBytes));
        }

        using var file = new MemoryStream([.. "garbage before the start"u8, .. bytes]);
        file.Position = "garbage before the start".Length;
        MessageContent scanned = await MessageContent.FromStreamAsync(file, CancellationToken.None);
        Assert.Equal((eightBit, utf8Headers, true, (long)bytes.Length), (scanned.HasEightBitBytes, scanned.HeadersHaveEightBitBytes, scanned.EightBitKnown, scanned.Length));
        Assert.Equal("garbage before the start".Length, file.Position);
    }

    [Theory]
    [InlineData("Subject: x\r\n\r\nbody\r\n", false)]
    [InlineData("a\rb\nc\r\n\r\r\n\n\r", false)]
    [InlineData("\n\n\r\r", false)]
    [InlineData("", false)]
    [InlineData("raw\rbytes\n", true)]
    public async Task TheWholeChunkLengthIsWhatTheChunkWriterSendsHoweverTheContentIsSplit(string message, bool binary)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(message);
        var output = new ArrayBufferWriter<byte>();
        new BdatChunkWriter(normalizeLineBreaks: !binary).WriteChunk(bytes, output, last: true).ThrowIfFailed();
        long sent = output.WrittenCount - (output.WrittenSpan.IndexOf("\r\n"u8) + 2); // the bytes after "BDAT n LAST" CRLF

        Assert.Equal(sent, new MessageContent(new ReadOnlyMemory<byte>(bytes)).WholeChunkLength(binary));
        for (int split = 1; split < bytes.Length; split++)
        {
            Assert.Equal(sent, new MessageContent(Segments.Of(bytes[..split], bytes[split..])).WholeChunkLength(binary));
        }

        Assert.Equal(sent, new MessageContent(Segments.OneBytePerSegment(bytes)).WholeChunkLength(binary));
        using var file = new MemoryStream(bytes);
        Assert.Equal(sent, (await MessageContent.FromStreamAsync(file, CancellationToken.None)).WholeChunkLength(binary));
    }

    [Fact]
    public void ContentReadAsItIsSentHasNoWholeChunkLength()
    {
        using var pipe = new UnseekableStream("x\r\n"u8.ToArray());
        Assert.Equal(-1, new MessageContent(pipe).WholeChunkLength(binary: false));
        Assert.Equal(-1, new MessageContent(pipe).WholeChunkLength(binary: true));
        Assert.Equal(-1, new MessageContent(System.IO.Pipelines.PipeReader.Create(new MemoryStream())).WholeChunkLength(binary: false));
        Assert.Equal(-1, new MessageContent((_, _) => ValueTask.CompletedTask).WholeChunkLength(binary: false));
    }
}
