using System.Buffers;
using System.IO.Pipelines;
using SmtpCodec.Capabilities;
using SmtpCodec.Protocol;
using SmtpCodec.Replies;

namespace SmtpCodec.Tests.Readme;

/// <summary>The README's "Reading replies" example, compiled and run, so that the README stays true.</summary>
public sealed class ReadmeReplyExampleTests
{
    [Fact]
    public async Task TheReadmeExampleReadsAnEhloReplyArrivingInPiecesThenTheNextReply()
    {
        var pipe = new Pipe();
        var capabilities = new EhloCapabilities();
        Task<int> ehlo = ReadReplyCodeAsync(pipe.Reader, capabilities).AsTask();
        foreach (string piece in new[] { "250-smtp.mail.me.com\r\n250-PIPE", "LINING\r\n250-SIZE 28319744\r", "\n250 SMTPUTF8\r\n334\r\n" })
        {
            await pipe.Writer.WriteAsync(System.Text.Encoding.ASCII.GetBytes(piece));
        }

        Assert.Equal(250, await ehlo);
        Assert.True(capabilities.Supports(EhloKeyword.Pipelining));
        Assert.Equal(28319744UL, capabilities.SizeLimit);
        Assert.Equal(334, await ReadReplyCodeAsync(pipe.Reader, null));

        await pipe.Writer.WriteAsync("250-x\r\n251 y\r\n"u8.ToArray());
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ReadReplyCodeAsync(pipe.Reader, null).AsTask());
        Assert.StartsWith("MismatchedContinuationCode at byte 7", error.Message, StringComparison.Ordinal);
    }

    // --- README example starts here ---
    static async ValueTask<int> ReadReplyCodeAsync(PipeReader pipe, EhloCapabilities? capabilities)
    {
        var state = new SmtpReplyReaderState(SmtpReplyReaderOptions.Default);   // 8192 B/line, 64 KiB/reply, 1000 lines
        while (true)
        {
            ReadResult read = await pipe.ReadAsync();
            if (TryReadReply(read, ref state, capabilities, out int code, out SequencePosition consumed))
            {
                pipe.AdvanceTo(consumed);
                return code;
            }

            pipe.AdvanceTo(consumed, read.Buffer.End);     // nothing consumed: wait for more bytes
        }
    }

    static bool TryReadReply(ReadResult read, ref SmtpReplyReaderState state, EhloCapabilities? capabilities, out int code, out SequencePosition consumed)
    {
        var reader = new SmtpReplyReader(read.Buffer, read.IsCompleted, state);
        OperationStatus status = reader.Read(out SmtpReply reply);
        state = reader.CurrentState;
        consumed = reader.Position;
        code = reply.Code;                                  // also reply.EnhancedStatusCode, reply.GetLines()
        if (status == OperationStatus.InvalidData)
        {
            throw new InvalidDataException($"{reader.Error} at byte {reader.ErrorOffset}: {SmtpCodecErrors.GetMessage(reader.Error)}");
        }

        if (status == OperationStatus.NeedMoreData && read.IsCompleted)
        {
            throw new EndOfStreamException("The server closed the connection between replies.");
        }

        if (status != OperationStatus.Done)
        {
            return false;
        }

        capabilities?.Read(reply);                          // after EHLO: Supports(...), SizeLimit, AuthMechanisms, RcptMax ...
        return true;
    }
    // --- README example ends here ---
}
