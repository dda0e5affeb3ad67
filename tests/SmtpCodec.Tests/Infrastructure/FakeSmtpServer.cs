using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace SmtpCodec.Tests.Infrastructure;

/// <summary>What the fake server does at the end of a message's data.</summary>
internal enum FakeOutcome
{
    Accept,
    Temporary,
    Permanent,
    DropAfterTerminator,
    ShutDown,
}

/// <summary>
/// A loopback SMTP responder for many connections, with an outcome chosen per received message (by its
/// Message-ID and how often that ID has arrived). It keeps every Message-ID it accepted, so tests can
/// check that nothing is accepted twice. Test infrastructure only: line-based and lenient.
/// </summary>
internal sealed partial class FakeSmtpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Task> _sessions = [];
    private readonly ConcurrentDictionary<string, int> _arrivals = new();
    private readonly Task _accepting;
    private int _connections;

    public FakeSmtpServer(Func<string, int, FakeOutcome>? outcome = null)
    {
        Outcome = outcome ?? ((_, _) => FakeOutcome.Accept);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Message-IDs accepted (one entry per acceptance: a duplicate would show twice).</summary>
    public ConcurrentQueue<string> Accepted { get; } = new();

    /// <summary>Message-IDs whose data arrived whole, whatever the reply (or none).</summary>
    public ConcurrentQueue<string> Received { get; } = new();

    private Func<string, int, FakeOutcome> Outcome { get; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        await Task.WhenAll(_sessions.ToArray()).ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket = await _listener.AcceptSocketAsync(_stop.Token);
            socket.NoDelay = true;
            Interlocked.Increment(ref _connections);
            _sessions.Add(Task.Run(() => ServeAsync(socket)));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using var stream = new NetworkStream(socket, ownsSocket: true);
        using var reader = new StreamReader(stream, Encoding.Latin1);
        var writer = new StreamWriter(stream, Encoding.Latin1) { NewLine = "\r\n", AutoFlush = false };
        try
        {
            await Reply(writer, "220 fake.test ESMTP");
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                string verb = line.Length >= 4 ? line[..4].ToUpperInvariant() : line.ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        await Reply(writer, "250-fake.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES");
                        break;
                    case "DATA":
                        await Reply(writer, "354 go ahead");
                        var content = new StringBuilder();
                        while (await reader.ReadLineAsync(_stop.Token) is { } data && data != ".")
                        {
                            content.Append(data).Append('\n');
                        }

                        string id = MessageIdPattern().Match(content.ToString()) is { Success: true } m ? m.Groups[1].Value : "(none)";
                        int arrival = _arrivals.AddOrUpdate(id, 1, (_, n) => n + 1);
                        Received.Enqueue(id);
                        switch (Outcome(id, arrival))
                        {
                            case FakeOutcome.Accept:
                                Accepted.Enqueue(id);
                                await Reply(writer, $"250 2.0.0 Ok: queued as {id}");
                                break;
                            case FakeOutcome.Temporary:
                                await Reply(writer, "451 4.3.0 Try again later");
                                break;
                            case FakeOutcome.Permanent:
                                await Reply(writer, "554 5.7.1 Rejected");
                                break;
                            case FakeOutcome.DropAfterTerminator:
                                Accepted.Enqueue(id); // the worst case: delivered, and the client never hears of it
                                return;
                            case FakeOutcome.ShutDown:
                                await Reply(writer, "421 4.3.2 Shutting down");
                                return;
                        }

                        break;
                    case "QUIT":
                        await Reply(writer, "221 2.0.0 Bye");
                        return;
                    default:
                        await Reply(writer, "250 2.0.0 Ok");
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away or the server is stopping.
        }
    }

    private static async Task Reply(StreamWriter writer, string text)
    {
        await writer.WriteLineAsync(text);
        await writer.FlushAsync();
    }

    [GeneratedRegex(@"Message-ID: <([^>]+)>", RegexOptions.IgnoreCase)]
    private static partial Regex MessageIdPattern();
}
