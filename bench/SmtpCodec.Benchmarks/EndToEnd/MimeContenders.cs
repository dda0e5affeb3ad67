using System.Diagnostics;
using MimeKit;
using SmtpCodec.Client;
using SmtpCodec.MimeKit;

namespace SmtpCodec.Benchmarks.EndToEnd;

/// <summary>
/// SmtpCodec.MimeKit: the benchmark's message as a <see cref="MimeMessage"/> (parsed once, as for MailKit's contender),
/// each send preparing it for the server and writing it, as MailKit's <c>SmtpClient.SendAsync(MimeMessage)</c> does.
/// Through the pool, each message is rendered into a pooled buffer and pipelined; through K connections, each written
/// into its connection as it is sent, one message at a time per connection as MailKit does.
/// </summary>
internal sealed class MimeMessageContender(bool pool) : Contender
{
    private const int Window = 1024;

    public override string Name => pool ? "SmtpSender (MimeMessage)" : "SmtpConnection (MimeMessage)";

    public override bool CanRunAgainst(BenchServer server) => server.IsEmbeddedSink;

    public override async Task<RunResult> RunAsync(BenchServer server, int connections, int messages, EndToEndOptions options)
    {
        var connectionOptions = new SmtpConnectionOptions { TlsMode = SmtpTlsMode.None, EhloName = "bench.localhost" };
        if (pool)
        {
            MimeMessage message = (await BenchMessage.ParseAsync(options.Size, 1).ConfigureAwait(false))[0];
            long baseline = await WindowMeter.BaselineAsync().ConfigureAwait(false);
            await using var sender = new SmtpSender(new SmtpSenderOptions { Host = BenchServer.Host, Port = server.Port, Connections = connections, MaxAttempts = 1, Connection = connectionOptions });
            await sender.OpenConnectionsAsync().ConfigureAwait(false);
            return await MeasureAsync(options, connections, messages, baseline, message, (count, limit) => SendThroughPoolAsync(sender, message, count, limit)).ConfigureAwait(false);
        }

        var opened = new SmtpConnection[connections];

        // One parsed message per connection: a send prepares the message it writes.
        MimeMessage[] copies = await BenchMessage.ParseAsync(options.Size, connections).ConfigureAwait(false);
        long before = await WindowMeter.BaselineAsync().ConfigureAwait(false);
        try
        {
            for (int i = 0; i < connections; i++)
            {
                opened[i] = await SmtpConnection.ConnectAsync(BenchServer.Host, server.Port, connectionOptions).ConfigureAwait(false);
            }

            return await MeasureAsync(options, connections, messages, before, copies, (count, limit) => SendOverConnectionsAsync(opened, copies, count, limit)).ConfigureAwait(false);
        }
        finally
        {
            foreach (SmtpConnection? connection in opened)
            {
                if (connection is not null)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    private static async Task<RunResult> MeasureAsync(EndToEndOptions options, int connections, int messages, long baseline, object input, Func<int, TimeSpan, Task<(int Sent, int Accepted, string? Error)>> send)
    {
        (int warmed, _, string? warmupError) = await send(Math.Max(options.Warmup, connections), TimeSpan.FromSeconds(options.WarmupSeconds)).ConfigureAwait(false);
        if (warmupError is not null || warmed == 0)
        {
            return new RunResult(0, 0, 0, null, false, $"warm-up: {warmupError ?? "nothing sent"}");
        }

        using var meter = WindowMeter.Start(baseline, input);
        (int sent, int accepted, string? error) = await send(messages, TimeSpan.FromSeconds(options.RunSeconds)).ConfigureAwait(false);
        return Measured(sent, accepted, meter, sent < messages, error);
    }

    /// <summary>Up to <see cref="Window"/> pending sends; each is prepared and rendered before the next is submitted.</summary>
    private static Task<(int Sent, int Accepted, string? Error)> SendThroughPoolAsync(SmtpSender sender, MimeMessage message, int count, TimeSpan limit) =>
        SmtpSenderContender.SendWindowAsync(() => sender.SendAsync(message), new ValueTask<SmtpDelivery>[Window], count, limit);

    private static async Task<(int Sent, int Accepted, string? Error)> SendOverConnectionsAsync(SmtpConnection[] connections, MimeMessage[] messages, int count, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        var shares = new Task<(int, string?)>[connections.Length];
        for (int i = 0; i < connections.Length; i++)
        {
            int share = (count / connections.Length) + (i < count % connections.Length ? 1 : 0);
            shares[i] = SendSeriesAsync(connections[i], messages[i], share, clock, limit);
        }

        (int, string?)[] done = await Task.WhenAll(shares).ConfigureAwait(false);
        int sent = done.Sum(d => d.Item1);
        return (sent, sent, done.Select(d => d.Item2).FirstOrDefault(e => e is not null));
    }

    private static async Task<(int, string?)> SendSeriesAsync(SmtpConnection connection, MimeMessage message, int count, Stopwatch clock, TimeSpan limit)
    {
        int sent = 0;
        try
        {
            while (sent < count && clock.Elapsed < limit)
            {
                await connection.SendAsync(message).ConfigureAwait(false);
                sent++;
            }

            return (sent, null);
        }
        catch (SmtpException e)
        {
            return (sent, e.Message);
        }
    }
}
