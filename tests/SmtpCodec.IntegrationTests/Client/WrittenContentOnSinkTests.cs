using System.Text;
using SmtpCodec.Client;
using SmtpCodec.Protocol;
using SmtpCodec.Sink;

namespace SmtpCodec.IntegrationTests.Client;

/// <summary>
/// <see cref="SmtpConnection.SendAsync(SmtpEnvelope, Func{Stream, CancellationToken, ValueTask}, CancellationToken)"/>: a
/// message a callback writes goes through the one DATA writer (stuffed) and the one BDAT writer (chunked) as it is written,
/// and a callback that fails leaves nothing delivered.
/// </summary>
public sealed class WrittenContentOnSinkTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "written-content-" + Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task AWrittenMessageOfSeveralMegabytesIsStoredAsWritten(bool chunking, bool synchronousWrites)
    {
        byte[] message = LargeMessage(3_000_000);
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { StoreDirectory = _directory });
        await using SmtpConnection connection = await Connect(sink, chunking);

        SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope("a@b.test", "c@d.test"), async (stream, token) =>
        {
            // Pieces of odd sizes, some splitting a CRLF or a leading dot.
            for (int offset = 0, size = 1; offset < message.Length; offset += size, size = (size * 7 % 9973) + 1)
            {
                int length = Math.Min(size, message.Length - offset);
                if (synchronousWrites)
                {
                    stream.Write(message, offset, length);
                }
                else
                {
                    await stream.WriteAsync(message.AsMemory(offset, length), token);
                }
            }
        });

        Assert.Equal(message, await File.ReadAllBytesAsync(Path.Combine(_directory, QueueId(result) + ".eml")));
        SmtpSendResult again = await connection.SendAsync(new SmtpEnvelope("a@b.test", "c@d.test"), (stream, token) => stream.WriteAsync("Subject: again\r\n\r\nok\r\n"u8.ToArray(), token));
        Assert.Equal("Subject: again\r\n\r\nok\r\n"u8.ToArray(), await File.ReadAllBytesAsync(Path.Combine(_directory, QueueId(again) + ".eml")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AWriterThatFailsPartWayDeliversNothingEndsTheConnectionAndItsExceptionComesBack(bool chunking)
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { StoreDirectory = _directory });
        await using SmtpConnection connection = await Connect(sink, chunking);
        byte[] part = LargeMessage(200_000);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => connection.SendAsync(new SmtpEnvelope("a@b.test", "c@d.test"), async (stream, token) =>
        {
            await stream.WriteAsync(part, token);
            throw new InvalidDataException("the renderer broke");
        }));

        Assert.Equal("the renderer broke", error.Message);
        Assert.False(connection.IsConnected);
        await sink.DisposeAsync();
        Assert.Equal(0, sink.Messages);
        Assert.Empty(Directory.Exists(_directory) ? Directory.GetFiles(_directory, "*.eml") : []);
    }

    [Fact]
    public async Task UndeclaredEightBitBytesFailTheSendBeforeItsEndOfData()
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { StoreDirectory = _directory });
        await using SmtpConnection connection = await Connect(sink, chunking: false);

        var error = await Assert.ThrowsAsync<SmtpException>(() => connection.SendAsync(new SmtpEnvelope("a@b.test", "c@d.test"), (stream, token) => stream.WriteAsync(Encoding.UTF8.GetBytes("Subject: x\r\n\r\nGrüße\r\n"), token)));

        Assert.Contains("EightBitMime", error.Message, StringComparison.Ordinal);
        await sink.DisposeAsync();
        Assert.Equal(0, sink.Messages);
    }

    [Fact]
    public async Task RecipientsBeyondRcptMaxTakeFurtherTransactionsEachWrittenAgain()
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions
        {
            StoreDirectory = _directory,
            Extensions = new SmtpSinkOptions().Extensions | EhloExtensions.Limits,
            MaxRecipients = 2,
        });
        await using SmtpConnection connection = await Connect(sink, chunking: false);
        int calls = 0;

        SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope("a@b.test", "c1@d.test", "c2@d.test", "c3@d.test", "c4@d.test", "c5@d.test"), (stream, token) =>
        {
            Interlocked.Increment(ref calls);
            return stream.WriteAsync("Subject: many\r\n\r\nbody\r\n"u8.ToArray(), token);
        });

        Assert.Equal(5, result.DeliveredCount);
        Assert.Equal(result.Transactions, calls);
        Assert.True(calls >= 3, $"{calls} transactions");
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static Task<SmtpConnection> Connect(SmtpSink sink, bool chunking) =>
        SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, new SmtpConnectionOptions { TlsMode = SmtpTlsMode.None, EhloName = "client.test", UseChunking = chunking });

    private static byte[] LargeMessage(int size)
    {
        var text = new StringBuilder("Subject: large\r\n\r\n");
        for (int i = 0; text.Length < size; i++)
        {
            text.Append(i % 5 == 0 ? "." : "").Append("line ").Append(i).Append(" of a written message\r\n");
        }

        return Encoding.ASCII.GetBytes(text.ToString());
    }

    private static string QueueId(SmtpSendResult result)
    {
        const string prefix = "2.0.0 Ok: queued as ";
        Assert.StartsWith(prefix, result.Reply.Text, StringComparison.Ordinal);
        return result.Reply.Text[prefix.Length..].Trim();
    }
}
