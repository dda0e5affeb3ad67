using System.Diagnostics;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using SmtpCodec.Client;

namespace SmtpCodec.Benchmarks.EndToEnd;

/// <summary>
/// One measured run: what completed, how long it took, what the client process allocated meanwhile, its CPU time per
/// message (user + system, every thread), the peak of its GC heap and its peak resident set over the window.
/// </summary>
internal sealed record RunResult(int Messages, int Accepted, double Seconds, double? AllocatedBytesPerMessage, bool StoppedEarly, string? Error)
{
    public double MessagesPerSecond => Seconds > 0 ? Accepted / Seconds : 0;

    /// <summary>The client's CPU time over the window divided by the messages, in microseconds.</summary>
    public double? CpuMicrosecondsPerMessage { get; init; }

    /// <summary>The user-mode part of <see cref="CpuMicrosecondsPerMessage"/> (the rest is the kernel's: sockets, and on loopback much of the peer's receiving).</summary>
    public double? UserCpuMicrosecondsPerMessage { get; init; }

    /// <summary>The largest GC heap (<see cref="GC.GetTotalMemory(bool)"/>) sampled every few milliseconds over the window, uncollected garbage included.</summary>
    public long? PeakHeapBytes { get; init; }

    /// <summary>The GC heap right after the collection that starts the window: what the process held before the run (pools of earlier contenders included).</summary>
    public long? HeapAtStartBytes { get; init; }

    /// <summary>The GC heap after a full collection once the contender's input was built, before it connected (<see cref="WindowMeter.BaselineAsync"/>).</summary>
    public long? HeapBeforeSetupBytes { get; init; }

    /// <summary>The GC heap after a full collection at the window's end, the contender's connections still open.</summary>
    public long? HeapAtEndBytes { get; init; }

    /// <summary>Garbage collections (any generation) during the window.</summary>
    public int? Collections { get; init; }

    /// <summary>What the contender holds once it has sent: the heap at the window's end over the heap before it connected (both after a full collection).</summary>
    public long? HeldHeapBytes => HeapAtEndBytes - HeapBeforeSetupBytes;

    /// <summary>The sampled peak's growth over the heap at the window's start: what the window added at most, garbage included.</summary>
    public long? PeakHeapGrowthBytes => PeakHeapBytes - HeapAtStartBytes;

    /// <summary>The peak resident set of the window (Linux: VmHWM after a reset at the start).</summary>
    public long? PeakWorkingSetBytes { get; init; }
}

/// <summary>A client under test. Each run opens its K connections and warms them up before the clock starts.</summary>
internal abstract class Contender
{
    public abstract string Name { get; }

    public abstract bool CanRunAgainst(BenchServer server);

    public abstract Task<RunResult> RunAsync(BenchServer server, int connections, int messages, EndToEndOptions options);

    /// <summary>The window's figures: see <see cref="WindowMeter"/>.</summary>
    protected static RunResult Measured(int messages, int accepted, WindowMeter meter, bool stoppedEarly, string? error) =>
        meter.Finish(messages, accepted, stoppedEarly, error);
}

/// <summary>SmtpCodec's <see cref="SmtpSender"/> pool, fed through a window of pending sends.</summary>
internal sealed class SmtpSenderContender(bool chunking) : Contender
{
    private const int Window = 1024;

    public override string Name => chunking ? "SmtpSender (BDAT)" : "SmtpSender (DATA)";

    public override bool CanRunAgainst(BenchServer server) => !chunking || server.OffersChunking;

    public override async Task<RunResult> RunAsync(BenchServer server, int connections, int messages, EndToEndOptions options)
    {
        byte[] message = BenchMessage.Create(options.Size);
        var envelope = new SmtpEnvelope(BenchMessage.From, BenchMessage.To);
        var pending = new ValueTask<SmtpDelivery>[Window];
        long baseline = await WindowMeter.BaselineAsync().ConfigureAwait(false);
        await using var sender = new SmtpSender(new SmtpSenderOptions
        {
            Host = BenchServer.Host,
            Port = server.Port,
            Connections = connections,
            MaxAttempts = 1,
            Connection = new SmtpConnectionOptions { TlsMode = SmtpTlsMode.None, EhloName = "bench.localhost", UseChunking = chunking },
        });

        (int warmed, _, string? warmupError) = await SendWindowAsync(() => sender.SendAsync(envelope, message), pending, Math.Max(options.Warmup, connections), TimeSpan.FromSeconds(options.WarmupSeconds)).ConfigureAwait(false);
        if (warmupError is not null)
        {
            return new RunResult(0, 0, 0, null, false, $"warm-up: {warmupError}");
        }

        using var meter = WindowMeter.Start(baseline, message);
        (int sent, int accepted, string? error) = await SendWindowAsync(() => sender.SendAsync(envelope, message), pending, messages, TimeSpan.FromSeconds(options.RunSeconds)).ConfigureAwait(false);
        RunResult result = Measured(sent, accepted, meter, sent < messages, error);
        return warmed > 0 ? result : result with { Error = "no warm-up message was sent" };
    }

    /// <summary>
    /// Submits up to <paramref name="count"/> messages through <paramref name="send"/> (a pool's SendAsync), at most
    /// <paramref name="pending"/>'s length pending, until the time is up; each send awaited once, in submission order.
    /// </summary>
    internal static async Task<(int Sent, int Accepted, string? Error)> SendWindowAsync(
        Func<ValueTask<SmtpDelivery>> send, ValueTask<SmtpDelivery>[] pending, int count, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        int submitted = 0, completed = 0, accepted = 0;
        string? error = null;
        while (completed < submitted || (submitted < count && clock.Elapsed < limit))
        {
            if (submitted < count && submitted - completed < pending.Length && clock.Elapsed < limit)
            {
                // Each pending send is awaited exactly once, in submission order.
#pragma warning disable CA2012
                pending[submitted % pending.Length] = send();
#pragma warning restore CA2012
                submitted++;
                continue;
            }

            SmtpDelivery delivery = await pending[completed % pending.Length].ConfigureAwait(false);
            completed++;
            if (delivery.Accepted)
            {
                accepted++;
            }
            else
            {
                error ??= $"{delivery.Reason}: {delivery.Error ?? delivery.Reply.ToString()}";
            }
        }

        return (completed, accepted, error);
    }
}

/// <summary>MailKit's <see cref="SmtpClient"/>: K clients in parallel, each reused for its share of the messages.</summary>
internal sealed class MailKitContender : Contender
{
    public override string Name => "MailKit SmtpClient";

    public override bool CanRunAgainst(BenchServer server) => true;

    public override async Task<RunResult> RunAsync(BenchServer server, int connections, int messages, EndToEndOptions options)
    {
        var sender = MailboxAddress.Parse(BenchMessage.From);
        MailboxAddress[] recipients = [MailboxAddress.Parse(BenchMessage.To)];
        var clients = new SmtpClient[connections];

        // One parsed message per client: MailKit prepares a message while it sends it.
        MimeMessage[] copies = await BenchMessage.ParseAsync(options.Size, connections).ConfigureAwait(false);
        long baseline = await WindowMeter.BaselineAsync().ConfigureAwait(false);
        try
        {
            for (int i = 0; i < connections; i++)
            {
                clients[i] = new SmtpClient { LocalDomain = "bench.localhost" };
                await clients[i].ConnectAsync(BenchServer.Host, server.Port, SecureSocketOptions.None).ConfigureAwait(false);
            }

            int warmupEach = Math.Max(1, options.Warmup / connections);
            (int warmed, _, string? warmupError) = await SendAllAsync(clients, copies, sender, recipients, warmupEach * connections, TimeSpan.FromSeconds(options.WarmupSeconds)).ConfigureAwait(false);
            if (warmupError is not null || warmed == 0)
            {
                return new RunResult(0, 0, 0, null, false, $"warm-up: {warmupError ?? "nothing sent"}");
            }

            using var meter = WindowMeter.Start(baseline, copies);
            (int sent, int accepted, string? error) = await SendAllAsync(clients, copies, sender, recipients, messages, TimeSpan.FromSeconds(options.RunSeconds)).ConfigureAwait(false);
            return Measured(sent, accepted, meter, sent < messages, error);
        }
        finally
        {
            foreach (SmtpClient? client in clients)
            {
                if (client is { IsConnected: true })
                {
                    await client.DisconnectAsync(quit: true).ConfigureAwait(false);
                }

                client?.Dispose();
            }
        }
    }

    private static async Task<(int Sent, int Accepted, string? Error)> SendAllAsync(
        SmtpClient[] clients, MimeMessage[] messages, MailboxAddress sender, MailboxAddress[] recipients, int count, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        var shares = new Task<(int, string?)>[clients.Length];
        for (int i = 0; i < clients.Length; i++)
        {
            int share = (count / clients.Length) + (i < count % clients.Length ? 1 : 0);
            shares[i] = SendSeriesAsync(clients[i], messages[i], sender, recipients, share, clock, limit);
        }

        (int, string?)[] done = await Task.WhenAll(shares).ConfigureAwait(false);
        int sent = done.Sum(d => d.Item1);
        return (sent, sent, done.Select(d => d.Item2).FirstOrDefault(e => e is not null));
    }

    private static async Task<(int, string?)> SendSeriesAsync(
        SmtpClient client, MimeMessage message, MailboxAddress sender, MailboxAddress[] recipients, int count, Stopwatch clock, TimeSpan limit)
    {
        int sent = 0;
        try
        {
            while (sent < count && clock.Elapsed < limit)
            {
                await client.SendAsync(message, sender, recipients).ConfigureAwait(false);
                sent++;
            }

            return (sent, null);
        }
        catch (Exception e) when (e is SmtpCommandException or MailKit.Net.Smtp.SmtpProtocolException or IOException)
        {
            return (sent, e.Message);
        }
    }
}

/// <summary>Postfix's smtp-source -d as a process: its wall time and CPU time for the same count, size and connections.</summary>
internal sealed class SmtpSourceContender(string smtpSource) : Contender
{
    public override string Name => "Postfix smtp-source";

    public override bool CanRunAgainst(BenchServer server) => !server.IsEmbeddedSink;

    public override async Task<RunResult> RunAsync(BenchServer server, int connections, int messages, EndToEndOptions options)
    {
        string file = Path.Combine(Path.GetTempPath(), $"smtpcodec-e2e-{Environment.ProcessId}.eml");
        await File.WriteAllBytesAsync(file, BenchMessage.WithLfLineEnds(BenchMessage.Create(options.Size))).ConfigureAwait(false);
        try
        {
            var start = new ProcessStartInfo(smtpSource) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (string argument in new[]
            {
                "-d", "-s", connections.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-m", messages.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-M", "bench.localhost", "-f", BenchMessage.From, "-t", BenchMessage.To, "-F", file,
                $"{BenchServer.Host}:{server.Port}",
            })
            {
                start.ArgumentList.Add(argument);
            }

            TimeSpan? cpuBefore = ChildCpu.Total();
            var clock = Stopwatch.StartNew();
            using Process process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {smtpSource}.");
            Task<string> errors = process.StandardError.ReadToEndAsync();
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(options.RunSeconds * 2));
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                await process.WaitForExitAsync().ConfigureAwait(false);
                return new RunResult(0, 0, clock.Elapsed.TotalSeconds, null, true, $"smtp-source did not finish within {options.RunSeconds * 2} s and was stopped");
            }

            clock.Stop();
            await output.ConfigureAwait(false);
            string stderr = (await errors.ConfigureAwait(false)).Trim();
            TimeSpan? cpu = ChildCpu.Total() - cpuBefore;
            return process.ExitCode == 0
                ? new RunResult(messages, messages, clock.Elapsed.TotalSeconds, null, false, null) { CpuMicrosecondsPerMessage = cpu?.TotalMicroseconds / messages }
                : new RunResult(0, 0, clock.Elapsed.TotalSeconds, null, false, $"smtp-source exited with {process.ExitCode}: {stderr}");
        }
        finally
        {
            File.Delete(file);
        }
    }
}

/// <summary>
/// <c>smtpcodec blast --server</c> (tools/SmtpCodec.Cli, built in Release) as a process: its own timed window
/// (from its JSON line: rate, allocated bytes and CPU time per message of its process) over the same count, size and
/// connections; its warm-up is its own (<c>--warmup</c> messages and at least <c>--warmup-seconds</c>, default 5 s).
/// </summary>
internal sealed class BlastContender(string cli) : Contender
{
    public const string ContenderName = "smtpcodec blast";

    public override string Name => ContenderName;

    public override bool CanRunAgainst(BenchServer server) => !server.IsEmbeddedSink;

    /// <summary>The CLI built in Release in this repository, found upwards from this program's folder; null when not built.</summary>
    public static string? Find()
    {
        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            string candidate = Path.Combine(folder.FullName, "tools", "SmtpCodec.Cli", "bin", "Release", "net10.0", "smtpcodec.dll");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    public override async Task<RunResult> RunAsync(BenchServer server, int connections, int messages, EndToEndOptions options)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in new[]
        {
            cli, "blast", "--server", $"{BenchServer.Host}:{server.Port}", "--json",
            "--connections", connections.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--messages", messages.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--warmup", Math.Max(options.Warmup, connections).ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--size", options.Size.ToString(System.Globalization.CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {cli}.");
        Task<string> errors = process.StandardError.ReadToEndAsync();
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds((options.RunSeconds * 2) + options.WarmupSeconds + 30));
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            await process.WaitForExitAsync().ConfigureAwait(false);
            return new RunResult(0, 0, 0, null, true, "smtpcodec blast did not finish in time and was stopped");
        }

        string json = (await output.ConfigureAwait(false)).Trim();
        string stderr = (await errors.ConfigureAwait(false)).Trim();
        if (process.ExitCode != 0 || json.Length == 0)
        {
            return new RunResult(0, 0, 0, null, false, $"smtpcodec blast exited with {process.ExitCode}: {stderr[Math.Max(0, stderr.Length - 300)..]}");
        }

        using var document = System.Text.Json.JsonDocument.Parse(json);
        System.Text.Json.JsonElement root = document.RootElement;
        int accepted = root.GetProperty("accepted").GetInt32();
        double seconds = root.GetProperty("seconds").GetDouble();
        double allocated = root.GetProperty("allocatedBytesPerMessage").GetDouble();

        // Its own figures over its timed window (allocations and CPU time of its process, as this runner measures its own).
        return new RunResult(messages, accepted, seconds, allocated, false, accepted == messages ? null : $"{messages - accepted} not accepted")
        {
            CpuMicrosecondsPerMessage = root.GetProperty("cpuMicrosecondsPerMessage").GetDouble(),
        };
    }
}
