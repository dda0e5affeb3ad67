using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SmtpCodec.Tests.Infrastructure;

/// <summary>A client that sends raw bytes to a server and reads reply lines, for tests of what a server answers.</summary>
internal sealed class RawSmtpClient : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly StreamReader _reader;

    private RawSmtpClient(TcpClient tcp)
    {
        _tcp = tcp;
        _reader = new StreamReader(tcp.GetStream(), Encoding.ASCII);
    }

    /// <summary>The greeting's line.</summary>
    public string Greeting { get; private set; } = "";

    /// <summary>Connects and reads the 220 greeting.</summary>
    public static async Task<RawSmtpClient> ConnectAsync(IPEndPoint endPoint)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(endPoint);
        var client = new RawSmtpClient(tcp);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        client.Greeting = await client._reader.ReadLineAsync(timeout.Token) ?? "";
        Assert.StartsWith("220 ", client.Greeting, StringComparison.Ordinal);
        return client;
    }

    /// <summary>Sends the text, then reads <paramref name="replies"/> replies; multiline replies are joined with LF.</summary>
    public async Task<string[]> SendAsync(string text, int replies)
    {
        await _tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes(text));
        var result = new List<string>();
        var current = new StringBuilder();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (result.Count < replies)
        {
            string line = await _reader.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException($"the server closed the connection after {result.Count} replies");
            current.Append(line);
            if (line.Length < 4 || line[3] != '-')
            {
                result.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append('\n');
            }
        }

        return [.. result];
    }

    /// <summary>Sends bytes and reads nothing.</summary>
    public async Task WriteAsync(byte[] bytes) => await _tcp.GetStream().WriteAsync(bytes);

    /// <summary>Sends one line (CRLF added) and reads one reply.</summary>
    public async Task<string> CommandAsync(string line) => (await SendAsync(line + "\r\n", 1))[0];

    /// <summary>Whether the server closed the connection (with nothing more to read).</summary>
    public async Task<bool> IsClosedAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            return await _reader.ReadLineAsync(timeout.Token) is null;
        }
        catch (IOException)
        {
            // Reset rather than closed: gone all the same.
            return true;
        }
    }

    /// <summary>
    /// EHLO and STARTTLS, then the first three bytes of a TLS record and nothing more: how long the server took to
    /// close the connection (it must, within 10 s).
    /// </summary>
    public async Task<TimeSpan> StallTlsHandshakeAsync()
    {
        await CommandAsync("EHLO client.test");
        Assert.StartsWith("220 ", await CommandAsync("STARTTLS"), StringComparison.Ordinal);
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        await WriteAsync([0x16, 0x03, 0x01]);
        Assert.True(await ClosesAsync(), "the server kept a stalled TLS handshake open");
        return System.Diagnostics.Stopwatch.GetElapsedTime(started);
    }

    /// <summary>Whether the server closed the connection within 10 s, whatever it sent before (a TLS alert, say).</summary>
    public async Task<bool> ClosesAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            while (await _reader.ReadLineAsync(timeout.Token) is not null)
            {
            }

            return true;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _reader.Dispose();
        _tcp.Dispose();
    }
}
