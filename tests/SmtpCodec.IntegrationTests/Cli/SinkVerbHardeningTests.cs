using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SmtpCodec.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SmtpCodec.IntegrationTests.Cli;

/// <summary>
/// <c>smtpcodec sink</c> as a process under the attacks it once did not hold against: silent connections, half
/// handshakes, a delayed NOOP flood, SCRAM password guessing. Each prints its figure. Run alone: they measure time,
/// memory and CPU.
/// </summary>
[Collection(SerialTestGroup.Name)]
public sealed class SinkVerbHardeningTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sink-hardening-").FullName;

    [Fact]
    public async Task AThousandSilentConnectionsLockANormalClientOutForNoMoreThanTheCommandTimeout()
    {
        string stats = Path.Combine(_directory, "stats.json");
        await using CliServerProcess sink = await CliServerProcess.StartAsync(
            "sink", "--listen", "127.0.0.1:0", "--max-connections", "256", "--command-timeout", "5", "--stats", stats);
        IPEndPoint endPoint = sink.EndPoint ?? throw new InvalidOperationException(sink.FirstLine);
        var silent = new List<Socket>();
        try
        {
            long started = Stopwatch.GetTimestamp();
            for (int i = 0; i < 1000; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                silent.Add(socket);
                await socket.ConnectAsync(endPoint);
            }

            output.WriteLine($"1000 silent connections open after {Stopwatch.GetElapsedTime(started).TotalSeconds:F2} s");

            // A normal client tries again every 100 ms while it is turned away (421 4.3.2), 20 s at most.
            TimeSpan? served = null;
            int refused = 0;
            while (served is null && Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(20))
            {
                if (await TrySendAMessageAsync(endPoint))
                {
                    served = Stopwatch.GetElapsedTime(started);
                }
                else
                {
                    refused++;
                    await Task.Delay(100);
                }
            }

            output.WriteLine($"normal client served {served?.TotalSeconds:F2} s after the attack began ({refused} tries turned away)");
            Assert.True(served is not null && served < TimeSpan.FromSeconds(7), $"served after {served?.TotalSeconds:F2} s");
        }
        finally
        {
            foreach (Socket socket in silent)
            {
                socket.Dispose();
            }
        }

        CliResult result = await sink.StopAsync("INT");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using JsonDocument json = JsonDocument.Parse(await File.ReadAllTextAsync(stats));
        Assert.Equal(0, json.RootElement.GetProperty("sessionFaults").GetInt64());
        Assert.Equal(1, json.RootElement.GetProperty("messages").GetInt64());
        Assert.True(json.RootElement.GetProperty("refusedConnections").GetInt64() >= 1000 - 256);
    }

    [Fact]
    public async Task TheTimeoutOptionsCloseASilentClientAndAHalfHandshake()
    {
        string stats = Path.Combine(_directory, "stats.json");
        await using CliServerProcess sink = await CliServerProcess.StartAsync(
            "sink", "--listen", "127.0.0.1:0", "--tls", "--command-timeout", "1", "--handshake-timeout", "1", "--stats", stats);
        IPEndPoint endPoint = sink.EndPoint ?? throw new InvalidOperationException(sink.FirstLine);

        // The deadline runs from the session's start, so the clock starts before the connect (a cold sink can take most
        // of the second to greet, and a clock started after the greeting would see less than the timeout).
        long started = Stopwatch.GetTimestamp();
        using (var client = await RawSmtpClient.ConnectAsync(endPoint))
        {
            Assert.StartsWith("421 4.4.2 ", (await client.SendAsync("", 1))[0], StringComparison.Ordinal);
            Assert.InRange(Stopwatch.GetElapsedTime(started).TotalSeconds, 0.9, 5);
        }

        using (var client = await RawSmtpClient.ConnectAsync(endPoint))
        {
            Assert.InRange((await client.StallTlsHandshakeAsync()).TotalSeconds, 0.5, 4);
        }

        CliResult result = await sink.StopAsync("TERM");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using JsonDocument json = JsonDocument.Parse(await File.ReadAllTextAsync(stats));
        Assert.Equal(0, json.RootElement.GetProperty("sessionFaults").GetInt64());
    }

    [Fact]
    public async Task ADelayedNoopFloodKeepsTheSinkUnder150MegabytesAndTheStatsAreWrittenAtExit()
    {
        string stats = Path.Combine(_directory, "stats.json");
        await using CliServerProcess sink = await CliServerProcess.StartAsync(
            "sink", "--listen", "127.0.0.1:0", "--reply-delay-ms", "10000", "--stats", stats);
        IPEndPoint endPoint = sink.EndPoint ?? throw new InvalidOperationException(sink.FirstLine);
        byte[] noops = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("NOOP\r\n", 10_000)));
        long sent = 0;
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(endPoint);
            NetworkStream stream = tcp.GetStream();

            // NOOPs as fast as the sink takes them, for 8 s, reading nothing.
            using var streaming = new CancellationTokenSource(TimeSpan.FromSeconds(8));
            try
            {
                for (int i = 0; i < 1_000_000; i++)
                {
                    await stream.WriteAsync(noops, streaming.Token);
                    sent += noops.Length;
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        long peak = PeakResidentBytes(sink.ProcessId);
        output.WriteLine($"peak RSS {peak / (1024.0 * 1024):F1} MiB after streaming {sent / (1024.0 * 1024):F1} MiB of NOOPs for 8 s with a 10 s reply delay");
        Assert.True(peak < 150L * 1024 * 1024, $"peak RSS {peak} bytes");

        CliResult result = await sink.StopAsync("INT");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using JsonDocument json = JsonDocument.Parse(await File.ReadAllTextAsync(stats));
        Assert.Equal(0, json.RootElement.GetProperty("sessionFaults").GetInt64());
        Assert.True(json.RootElement.GetProperty("seconds").GetDouble() >= 8, "the stats written at exit, not those of the start");
    }

    [Fact]
    public async Task AFailedScramAttemptCostsTheSinkNoPbkdf2ForAKnownOrAnUnknownUser()
    {
        await using CliServerProcess sink = await CliServerProcess.StartAsync(
            "sink", "--listen", "127.0.0.1:0", "--user", "user@example.org:pencil", "--auth", "SCRAM-SHA-256");
        IPEndPoint endPoint = sink.EndPoint ?? throw new InvalidOperationException(sink.FirstLine);

        // Warm up (JIT and tiering, the user's one derivation), then 100 connections of 3 failed attempts per kind of
        // user. A PBKDF2 of 4096 iterations alone is 2 to 3 ms of CPU here; what is left is the connection and the exchange.
        await FailScramAsync(endPoint, "user@example.org", connections: 100);
        foreach (string user in new[] { "user@example.org", "nobody@example.org" })
        {
            TimeSpan before = CpuTime(sink.ProcessId);
            int attempts = await FailScramAsync(endPoint, user, connections: 100);
            double perAttempt = (CpuTime(sink.ProcessId) - before).TotalMilliseconds / attempts;
            output.WriteLine($"{user}: {attempts} failed SCRAM-SHA-256 attempts, {perAttempt:F3} ms of sink CPU each (connection costs included)");
            Assert.True(perAttempt < 1.5, $"{user}: {perAttempt:F3} ms of CPU per failed attempt");
        }

        CliResult result = await sink.StopAsync("INT");
        Assert.True(result.ExitCode == 0, result.Stderr);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static async Task<bool> TrySendAMessageAsync(IPEndPoint endPoint)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(endPoint);
        using var reader = new StreamReader(tcp.GetStream(), Encoding.ASCII);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        string? greeting = await reader.ReadLineAsync(timeout.Token);
        if (greeting is null || !greeting.StartsWith("220 ", StringComparison.Ordinal))
        {
            return false;
        }

        await tcp.GetStream().WriteAsync("HELO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n"u8.ToArray(), timeout.Token);
        for (int i = 0; i < 4; i++)
        {
            Assert.StartsWith(i == 3 ? "354" : "250", await reader.ReadLineAsync(timeout.Token), StringComparison.Ordinal);
        }

        await tcp.GetStream().WriteAsync("hi\r\n.\r\nQUIT\r\n"u8.ToArray(), timeout.Token);
        Assert.StartsWith("250 ", await reader.ReadLineAsync(timeout.Token), StringComparison.Ordinal);
        return true;
    }

    /// <summary>Connections of three SCRAM-SHA-256 exchanges each, with a proof nobody could compute; 20 at a time.</summary>
    private static async Task<int> FailScramAsync(IPEndPoint endPoint, string user, int connections)
    {
        int attempts = 0;
        for (int batch = 0; batch < connections; batch += 20)
        {
            int[] counts = await Task.WhenAll(Enumerable.Range(0, Math.Min(20, connections - batch)).Select(async _ =>
            {
                using var client = await RawSmtpClient.ConnectAsync(endPoint);
                await client.CommandAsync("EHLO client.test");
                for (int i = 0; i < 3; i++)
                {
                    string nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(12));
                    string challenge = await client.CommandAsync("AUTH SCRAM-SHA-256 " + B64($"n,,n={user},r={nonce}"));
                    Assert.StartsWith("334 ", challenge, StringComparison.Ordinal);
                    string serverNonce = Encoding.ASCII.GetString(Convert.FromBase64String(challenge[4..])).Split(',')[0][2..];
                    string proof = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
                    Assert.StartsWith("535 ", await client.CommandAsync(B64($"c=biws,r={serverNonce},p={proof}")), StringComparison.Ordinal);
                }

                return 3;
            }));
            attempts += counts.Sum();
        }

        return attempts;
    }

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    /// <summary>VmHWM of /proc/PID/status: the peak resident set.</summary>
    private static long PeakResidentBytes(int processId)
    {
        string line = File.ReadAllLines($"/proc/{processId}/status").Single(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>User and system CPU of the process, from /proc/PID/stat (clock ticks of 1/100 s).</summary>
    private static TimeSpan CpuTime(int processId)
    {
        string stat = File.ReadAllText($"/proc/{processId}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }
}
