using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SmtpCodec.Benchmarks.EndToEnd;

/// <summary>
/// The DATA ceiling of a server: the least a client can do. Everything is rendered before the clock starts; each
/// message is one write that carries the message, its terminating dot and the next message's MAIL, RCPT and DATA
/// (pipelined); replies are counted, not parsed (line ends in what arrives: one per reply, as the servers here send
/// one-line replies to these commands), and only the first byte of each read is checked to be a 2 or 3. K sockets
/// in parallel, each with its share of the messages. No client is faster than this over the same loopback.
/// </summary>
internal sealed class RawCeilingContender : Contender
{
    public const string ContenderName = "Raw ceiling (DATA)";

    public override string Name => ContenderName;

    public override bool CanRunAgainst(BenchServer server) => true;

    public override async Task<RunResult> RunAsync(BenchServer server, int connections, int messages, EndToEndOptions options)
    {
        byte[] commands = Encoding.ASCII.GetBytes($"MAIL FROM:<{BenchMessage.From}>\r\nRCPT TO:<{BenchMessage.To}>\r\nDATA\r\n");
        byte[] last = [.. BenchMessage.Create(options.Size), .. ".\r\n"u8];
        byte[] withNext = [.. last, .. commands];
        var sockets = new Socket[connections];
        long baseline = await WindowMeter.BaselineAsync().ConfigureAwait(false);
        try
        {
            for (int i = 0; i < connections; i++)
            {
                sockets[i] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await sockets[i].ConnectAsync(IPAddress.Parse(BenchServer.Host), server.Port).ConfigureAwait(false);
                byte[] buffer = new byte[4096];
                await ReadReplyAsync(sockets[i], buffer).ConfigureAwait(false);
                await sockets[i].SendAsync("EHLO bench.localhost\r\n"u8.ToArray()).ConfigureAwait(false);
                await ReadReplyAsync(sockets[i], buffer).ConfigureAwait(false);
            }

            (int warmed, string? warmupError) = await SendAllAsync(sockets, commands, withNext, last, Math.Max(options.Warmup, connections), TimeSpan.FromSeconds(options.WarmupSeconds)).ConfigureAwait(false);
            if (warmupError is not null || warmed == 0)
            {
                return new RunResult(0, 0, 0, null, false, $"warm-up: {warmupError ?? "nothing sent"}");
            }

            using var meter = WindowMeter.Start(baseline, (last, withNext));
            (int sent, string? error) = await SendAllAsync(sockets, commands, withNext, last, messages, TimeSpan.FromSeconds(options.RunSeconds)).ConfigureAwait(false);
            return Measured(sent, error is null ? sent : 0, meter, sent < messages, error);
        }
        finally
        {
            foreach (Socket? socket in sockets)
            {
                if (socket is { Connected: true })
                {
                    try
                    {
                        await socket.SendAsync("QUIT\r\n"u8.ToArray()).ConfigureAwait(false);
                    }
                    catch (SocketException)
                    {
                        // closing anyway
                    }
                }

                socket?.Dispose();
            }
        }
    }

    private static async Task<(int Sent, string? Error)> SendAllAsync(Socket[] sockets, byte[] commands, byte[] withNext, byte[] last, int count, TimeSpan limit)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var shares = new Task<(int, string?)>[sockets.Length];
        for (int i = 0; i < sockets.Length; i++)
        {
            int share = (count / sockets.Length) + (i < count % sockets.Length ? 1 : 0);
            shares[i] = SendSeriesAsync(sockets[i], commands, withNext, last, share, clock, limit);
        }

        (int, string?)[] done = await Task.WhenAll(shares).ConfigureAwait(false);
        return (done.Sum(d => d.Item1), done.Select(d => d.Item2).FirstOrDefault(e => e is not null));
    }

    /// <summary>MAIL, RCPT, DATA (3 replies); then per message one write and its replies: the end of data's, plus 3 if the next message's commands rode along.</summary>
    private static async Task<(int, string?)> SendSeriesAsync(Socket socket, byte[] commands, byte[] withNext, byte[] last, int count, System.Diagnostics.Stopwatch clock, TimeSpan limit)
    {
        if (count == 0)
        {
            return (0, null);
        }

        byte[] buffer = new byte[4096];
        try
        {
            await socket.SendAsync(commands).ConfigureAwait(false);
            if (!await CountRepliesAsync(socket, buffer, 3).ConfigureAwait(false))
            {
                return (0, "a reply to MAIL, RCPT or DATA was not 2xx or 3xx");
            }

            for (int sent = 0; ; )
            {
                bool more = sent + 1 < count && clock.Elapsed < limit;
                await socket.SendAsync(more ? withNext : last).ConfigureAwait(false);
                if (!await CountRepliesAsync(socket, buffer, more ? 4 : 1).ConfigureAwait(false))
                {
                    return (sent, "a reply was not 2xx or 3xx");
                }

                sent++;
                if (!more)
                {
                    return (sent, null);
                }
            }
        }
        catch (SocketException e)
        {
            return (0, e.Message);
        }
    }

    /// <summary>Reads until <paramref name="replies"/> line ends have arrived; false when a read starts with neither 2 nor 3.</summary>
    private static async ValueTask<bool> CountRepliesAsync(Socket socket, byte[] buffer, int replies)
    {
        bool good = true;
        while (replies > 0)
        {
            int read = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false);
            if (read == 0)
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }

            good &= buffer[0] is (byte)'2' or (byte)'3';
            replies -= buffer.AsSpan(0, read).Count((byte)'\n');
        }

        return good;
    }

    /// <summary>A whole (possibly multiline) reply during the setup, before the clock: its last line has a space after the code.</summary>
    private static async Task ReadReplyAsync(Socket socket, byte[] buffer)
    {
        int filled = 0;
        while (true)
        {
            int read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None).ConfigureAwait(false);
            if (read == 0)
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }

            filled += read;
            Span<byte> text = buffer.AsSpan(0, filled);
            if (text.Length >= 2 && text[^1] == '\n')
            {
                int start = text[..^1].LastIndexOf((byte)'\n') + 1;
                if (text.Length - start >= 4 && text[start + 3] == ' ')
                {
                    if (text[start] is not ((byte)'2' or (byte)'3'))
                    {
                        throw new InvalidOperationException($"The server said: {Encoding.ASCII.GetString(text).Trim()}");
                    }

                    return;
                }
            }
        }
    }
}
