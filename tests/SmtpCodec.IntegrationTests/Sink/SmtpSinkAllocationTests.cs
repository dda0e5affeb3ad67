using System.Net.Sockets;
using System.Text;
using SmtpCodec.Sink;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Sink;

/// <summary>The sink is the benchmark peer: its steady state allocates next to nothing per command.</summary>
[Collection(SerialTestGroup.Name)]
public sealed class SmtpSinkAllocationTests
{
    [Theory]
    [InlineData("", 0)]
    [InlineData("RCPT:4xx=0.1", 0)]
    [InlineData("", 1)]
    [InlineData("NOOP:delay=1", 0)]
    public async Task PipelinedTransactionsAllocateAlmostNothingPerMessage(string fault, int replyDelay)
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions
        {
            Faults = fault.Length > 0 ? [SmtpSinkFault.Parse(fault)] : [],
            FaultSeed = 3,
            ReplyDelay = TimeSpan.FromMilliseconds(replyDelay),
        });
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(sink.EndPoint);
        byte[] replies = new byte[1 << 20];
        await ReadRepliesAsync(socket, replies, 1);
        await SendAsync(socket, "EHLO raw.test\r\n", replies, 1);

        const int messages = 500;
        byte[] batch = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nSubject: x\r\n\r\n.hi\r\n.\r\nNOOP\r\n", messages)));
        for (int warmup = 0; warmup < 3; warmup++)
        {
            await SendAsync(socket, batch, replies, 5 * messages);
        }

        long before = GC.GetTotalAllocatedBytes(precise: true);
        await SendAsync(socket, batch, replies, 5 * messages);
        long perMessage = (GC.GetTotalAllocatedBytes(precise: true) - before) / messages;

        // Process-wide, so the bound has room for the runtime's own work; a string or an array per command (five per
        // message) would not fit in it.
        Assert.True(perMessage <= 100, $"{perMessage} bytes allocated per message (5 commands)");
    }

    private static Task SendAsync(Socket socket, string text, byte[] replies, int count) => SendAsync(socket, Encoding.ASCII.GetBytes(text), replies, count);

    private static async Task SendAsync(Socket socket, byte[] bytes, byte[] replies, int count)
    {
        Task reading = ReadRepliesAsync(socket, replies, count);
        await socket.SendAsync(bytes);
        await reading;
    }

    /// <summary>Reads until <paramref name="count"/> final reply lines ("NNN " at a line start) arrived, into a reused buffer.</summary>
    private static async Task ReadRepliesAsync(Socket socket, byte[] buffer, int count)
    {
        int seen = 0;
        int lineStart = 0;
        int filled = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (seen < count)
        {
            if (filled == buffer.Length)
            {
                // Keep only the line in progress.
                buffer.AsSpan(lineStart, filled - lineStart).CopyTo(buffer);
                filled -= lineStart;
                lineStart = 0;
            }

            int read = await socket.ReceiveAsync(buffer.AsMemory(filled), timeout.Token);
            Assert.True(read > 0, "the sink closed the connection");
            for (int i = filled; i < filled + read; i++)
            {
                if (buffer[i] == '\n')
                {
                    if (i - lineStart >= 4 && buffer[lineStart + 3] == ' ')
                    {
                        seen++;
                    }

                    lineStart = i + 1;
                }
            }

            filled += read;
        }
    }
}
