using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using SmtpCodec.Protocol;
using SmtpCodec.Sink;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Sink;

/// <summary>
/// What a hostile or broken client can no longer hold: the command timeout as a deadline (a drip of bytes does not
/// move it), the TLS handshake timeout, failed handshakes as ordinary endings, and replies staged without bound.
/// </summary>
public sealed class SmtpSinkTimeoutTests
{
    private const string TimeoutReply = "421 4.4.2 sink.localhost Timeout waiting for the client, closing connection";

    [Fact]
    public async Task ASilentClientGets421AfterTheCommandTimeoutAndIsClosed()
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { CommandTimeout = TimeSpan.FromSeconds(2) });
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);
        long started = Stopwatch.GetTimestamp();

        string[] reply = await client.SendAsync("", 1);

        Assert.Equal(TimeoutReply, reply[0]);
        Assert.InRange(Stopwatch.GetElapsedTime(started).TotalSeconds, 1.5, 4);
        Assert.True(await client.IsClosedAsync());
    }

    [Theory]
    [InlineData("")]
    [InlineData("EHLO client.test\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n")]
    public async Task ADripOfBytesThatCompletesNothingDoesNotMoveTheDeadline(string before)
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { CommandTimeout = TimeSpan.FromSeconds(2) });
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(sink.EndPoint);
        NetworkStream stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(before));
        long started = Stopwatch.GetTimestamp();

        // One byte of a line (a command, or message content) every 100 ms, for 6 s at most.
        for (int i = 0; i < 60 && !tcp.Client.Poll(0, SelectMode.SelectRead); i++)
        {
            await stream.WriteAsync("X"u8.ToArray());
            await Task.Delay(100);
        }

        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        string received = await ReadToEndAsync(stream);
        Assert.Contains(TimeoutReply + "\r\n", received, StringComparison.Ordinal);
        Assert.True(seconds < 3.5, $"closed after {seconds:F1} s of dripping");
    }

    [Fact]
    public async Task EachCompleteCommandHasAFullTimeout()
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { CommandTimeout = TimeSpan.FromSeconds(2) });
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);

        // 3.5 s in all, more than the timeout, but never 2 s without a command.
        for (int i = 0; i < 5; i++)
        {
            string reply = await client.CommandAsync("NOOP");
            Assert.True(reply == "250 2.0.0 Ok", $"NOOP {i}: {reply}");
            await Task.Delay(700);
        }
    }

    [Fact]
    public async Task AHalfSentTlsHandshakeIsClosedAfterTheHandshakeTimeoutAndIsNoSessionFault()
    {
        await using SmtpSink sink = StartTlsSink(TimeSpan.FromSeconds(1));
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);

        Assert.InRange((await client.StallTlsHandshakeAsync()).TotalSeconds, 0.5, 4);
        await sink.DisposeAsync();
        Assert.True(sink.SessionFaults == 0, sink.LastSessionFault?.ToString());
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: sink\r\n\r\n")]
    [InlineData("\u0015\u0003\u0001\u0000\u0002\u0002\u0028")]
    public async Task GarbageInsteadOfAClientHelloEndsTheSessionWithoutASessionFault(string garbage)
    {
        await using SmtpSink sink = StartTlsSink(TimeSpan.FromSeconds(30));
        using var client = await RawSmtpClient.ConnectAsync(sink.EndPoint);
        await client.CommandAsync("EHLO client.test");
        Assert.StartsWith("220 ", await client.CommandAsync("STARTTLS"), StringComparison.Ordinal);

        await client.WriteAsync(Encoding.Latin1.GetBytes(garbage));

        Assert.True(await client.ClosesAsync());
        await sink.DisposeAsync();
        Assert.True(sink.SessionFaults == 0, sink.LastSessionFault?.ToString());
    }

    [Fact]
    public async Task AClientThatRefusesTheCertificateIsNoSessionFault()
    {
        await using SmtpSink sink = StartTlsSink(TimeSpan.FromSeconds(30));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(sink.EndPoint);
        NetworkStream stream = tcp.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
        Assert.StartsWith("220 ", await reader.ReadLineAsync(), StringComparison.Ordinal);
        await stream.WriteAsync("STARTTLS\r\n"u8.ToArray());
        Assert.StartsWith("220 ", await reader.ReadLineAsync(), StringComparison.Ordinal);

        await using var ssl = new SslStream(stream, leaveInnerStreamOpen: true, (_, _, _, _) => false);
        await Assert.ThrowsAnyAsync<Exception>(() => ssl.AuthenticateAsClientAsync("localhost"));
        tcp.Close();

        await sink.DisposeAsync();
        Assert.True(sink.SessionFaults == 0, sink.LastSessionFault?.ToString());
    }

    [Fact]
    public async Task RepliesWaitingForTheirDelayAreBoundedAndTheClientIsHeldBack()
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { ReplyDelay = TimeSpan.FromSeconds(2) });
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(sink.EndPoint);
        NetworkStream stream = tcp.GetStream();
        byte[] noops = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("NOOP\r\n", 10_000)));

        // Streams NOOPs for 1.5 s without reading a reply (the sink's reads, not the socket buffers, are bounded).
        using (var streaming = new CancellationTokenSource(TimeSpan.FromSeconds(1.5)))
        {
            try
            {
                for (int i = 0; i < 100_000; i++)
                {
                    await stream.WriteAsync(noops, streaming.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        tcp.Close();
        await sink.DisposeAsync();
        // 1 MiB, and at most one read's worth of replies past it (unbounded, 1.5 s of NOOPs staged 5 MB here).
        Assert.InRange(sink.PeakStagedBytes, 1, (1024 + 256) * 1024);
        Assert.True(sink.SessionFaults == 0, sink.LastSessionFault?.ToString());
    }

    private static SmtpSink StartTlsSink(TimeSpan handshakeTimeout) => SmtpSink.Start(new SmtpSinkOptions
    {
        Extensions = new SmtpSinkOptions().Extensions | EhloExtensions.StartTls,
        Certificate = TestCertificates.Localhost,
        HandshakeTimeout = handshakeTimeout,
    });

    private static async Task<string> ReadToEndAsync(NetworkStream stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = new MemoryStream();
        try
        {
            await stream.CopyToAsync(received, timeout.Token);
        }
        catch (IOException)
        {
            // Reset after the reply: what came before it is kept.
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }
}
