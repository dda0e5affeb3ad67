using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using SmtpCodec.Client;
using SmtpCodec.Protocol;
using SmtpCodec.Sink;

namespace SmtpCodec.Cli.Verbs;

/// <summary>
/// <c>smtpcodec blast</c>: throughput through <see cref="SmtpSender"/>, as docs/architecture.md ("The smtpcodec command") defines it. N messages
/// of a given size (one recipient, a unique Message-ID each) over K connections, to <c>--server</c> or to an
/// embedded sink in the same process. Connections open and warm-up messages go before the timed window, which
/// runs from the first counted submission to the last result. Progress and a summary on stderr; with
/// <c>--json</c> exactly one JSON line on stdout.
/// </summary>
internal static class BlastVerb
{
    private const string From = "blast@smtpcodec.test";
    private const string To = "sink@smtpcodec.test";

    public static Command Create()
    {
        var server = new Option<string?>("--server") { Description = "HOST:PORT of the server. Default: an embedded sink in this process." };
        var tls = new Option<string>("--tls") { Description = "none | starttls | implicit.", DefaultValueFactory = _ => "none" };
        tls.AcceptOnlyFromAmong("none", "starttls", "implicit");
        var messages = new Option<int>("--messages") { Description = "Messages in the timed window.", DefaultValueFactory = _ => 10_000 };
        var connections = new Option<int>("--connections") { Description = "Connections sending in parallel.", DefaultValueFactory = _ => 4 };
        var size = new Option<int>("--size") { Description = "Bytes of each whole message before stuffing (headers included).", DefaultValueFactory = _ => 2200 };
        var warmup = new Option<int>("--warmup") { Description = "Messages sent first and not counted.", DefaultValueFactory = _ => 1000 };
        var warmupSeconds = new Option<double>("--warmup-seconds")
        {
            Description = "With --warmup above 0: keep warming up until this long has passed (a fresh process runs code the JIT has not fully optimized yet).",
            DefaultValueFactory = _ => 5,
        };
        var chunking = new Option<string>("--chunking") { Description = "on | off: BDAT (windowed across messages) instead of DATA.", DefaultValueFactory = _ => "off" };
        chunking.AcceptOnlyFromAmong("on", "off");
        var json = new Option<bool>("--json") { Description = "Print exactly one JSON line with the results on stdout." };
        var trustCert = new Option<string?>("--trust-cert") { Description = "With --server and TLS: a PEM certificate to trust as the server's." };
        var insecure = new Option<bool>("--insecure") { Description = "With --server and TLS: skip certificate validation (tests only)." };
        var replyDelay = new Option<int>("--reply-delay-ms") { Description = "Embedded sink only: each reply leaves this long after its command arrived (WAN latency).", DefaultValueFactory = _ => 0 };
        var store = new Option<string?>("--store") { Description = "Embedded sink only: keep each accepted message as DIR/QUEUEID.eml.", HelpName = "DIR" };
        var login = new CredentialOptions();
        login.User.Description = "With --server: user name for AUTH (a wrong one stops the pool at once: every message fails with the reason).";
        FaultOptions faults = FaultOptions.Create();
        faults.Faults.Description = "Embedded sink only: " + faults.Faults.Description;
        var command = new Command("blast", "Send N messages over K connections through SmtpSender and report throughput, latency and allocations.")
        {
            server, tls, messages, connections, size, warmup, warmupSeconds, chunking, json, trustCert, insecure, replyDelay, store,
        };
        faults.AddTo(command);
        login.AddTo(command);
        command.SetAction((parse, cancellation) => RunAsync(new Settings(
            parse.GetValue(server), parse.GetValue(tls)!, parse.GetValue(messages), parse.GetValue(connections), parse.GetValue(size),
            parse.GetValue(warmup), parse.GetValue(chunking) == "on", parse.GetValue(json), parse.GetValue(trustCert), parse.GetValue(insecure),
            parse.GetValue(replyDelay), parse.GetValue(store), faults.ApplyTo(new SmtpSinkOptions(), parse),
            parse.GetValue(login.User), parse.GetValue(login.PasswordEnv), parse.GetValue(login.Auth), parse.GetValue(warmupSeconds)), cancellation));
        return command;
    }

    /// <summary>The command line; <paramref name="Sink"/> carries the embedded sink's faults and seed.</summary>
    internal sealed record Settings(
        string? Server, string Tls, int Messages, int Connections, int Size, int Warmup, bool Chunking, bool Json,
        string? TrustCert, bool Insecure, int ReplyDelayMs, string? Store, SmtpSinkOptions Sink,
        string? User = null, string? PasswordEnv = null, string? Auth = null, double WarmupSeconds = 0);

    private static async Task<int> RunAsync(Settings settings, CancellationToken cancellationToken)
    {
        string? problem = Check(settings);
        SmtpCredentials? credentials = null;
        if (problem is null && !CredentialOptions.TryCreate(settings.User, settings.PasswordEnv, settings.Auth, out credentials, out problem))
        {
            problem ??= "bad AUTH options";
        }

        if (problem is not null)
        {
            await Console.Error.WriteLineAsync($"smtpcodec blast: {problem}");
            return Program.UsageExitCode;
        }

        SmtpSink? sink = null;
        try
        {
            string host;
            int port;
            X509Certificate2? pinned = null;
            if (settings.Server is null)
            {
                try
                {
                    sink = SmtpSink.Start(SinkOptions(settings));
                }
                catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
                {
                    await Console.Error.WriteLineAsync($"smtpcodec blast: the embedded sink cannot start: {e.Message}");
                    return Program.UsageExitCode;
                }

                (host, port, pinned) = ("127.0.0.1", sink.EndPoint.Port, sink.Certificate);
            }
            else
            {
                _ = HostPort.TryParse("--server", settings.Server, 1, out host, out port, out _);
                if (settings.TrustCert is not null)
                {
                    pinned = X509CertificateLoader.LoadCertificateFromFile(settings.TrustCert);
                }
            }

            var options = new SmtpSenderOptions
            {
                Host = host,
                Port = port,
                Connections = settings.Connections,
                QueueCapacity = Math.Max(1024, settings.Connections * 64),
                IdleNoopInterval = TimeSpan.Zero,
                Connection = new SmtpConnectionOptions
                {
                    TlsMode = settings.Tls switch { "starttls" => SmtpTlsMode.StartTlsRequired, "implicit" => SmtpTlsMode.Implicit, _ => SmtpTlsMode.None },
                    Tls = new SmtpTlsOptions { TargetHost = settings.Server is null ? "localhost" : host, PinnedCertificate = pinned, SkipCertificateValidation = settings.Insecure },
                    EhloName = "blast.smtpcodec.test",
                    UseChunking = settings.Chunking,
                    Credentials = credentials,
                },
            };

            BlastResult result;
            await using (var sender = new SmtpSender(options))
            {
                try
                {
                    await sender.OpenConnectionsAsync(cancellationToken);
                }
                catch (SmtpException e) when (sender.BreakerCause is null)
                {
                    await Console.Error.WriteLineAsync($"smtpcodec blast: cannot open the connections: {e.Message}");
                    return SendVerb.ConnectFailed;
                }
                catch (SmtpException e)
                {
                    // A permanent failure (a wrong password): the pool's breaker is open and every message will fail at
                    // once with it, which the summary below counts.
                    await Console.Error.WriteLineAsync($"smtpcodec blast: the connections cannot be opened for good, every message will fail: {e.Message}");
                }

                var run = new BlastRun(sender, settings);
                // Warm-up: its count, then more of it until its time is up (a fresh process runs code not yet tiered up).
                var warming = Stopwatch.StartNew();
                await run.SendAsync(settings.Warmup, measure: false, progress: false, cancellationToken);
                while (settings.Warmup > 0 && warming.Elapsed.TotalSeconds < settings.WarmupSeconds)
                {
                    await run.SendAsync(Math.Max(100, settings.Warmup / 4), measure: false, progress: false, cancellationToken);
                }

                result = await run.SendAsync(settings.Messages, measure: true, progress: true, cancellationToken);
            }

            Report(settings, result, sink);
            return result.Failed == 0 ? 0 : 1;
        }
        finally
        {
            if (sink is not null)
            {
                await sink.DisposeAsync();
            }
        }
    }

    private static string? Check(Settings settings)
    {
        if (settings.Messages < 1 || settings.Connections < 1 || settings.Warmup < 0 || settings.ReplyDelayMs < 0 || settings.WarmupSeconds is < 0 or > 600)
        {
            return "--messages and --connections must be at least 1; --warmup and --reply-delay-ms at least 0; --warmup-seconds 0 to 600.";
        }

        if (settings.Size < MessageTemplate.MinimumSize)
        {
            return $"--size must be at least {MessageTemplate.MinimumSize} bytes (the headers).";
        }

        if (settings.Server is not null && !HostPort.TryParse("--server", settings.Server, 1, out _, out _, out string? problem))
        {
            return problem;
        }

        if (settings.Server is not null && (settings.ReplyDelayMs > 0 || settings.Store is not null || settings.Sink.Faults.Count > 0))
        {
            return "--reply-delay-ms, --store and --fault apply to the embedded sink only (without --server).";
        }

        return settings.Server is null && settings.Tls == "implicit" ? "The embedded sink offers STARTTLS, not implicit TLS: use --tls starttls." : null;
    }

    private static SmtpSinkOptions SinkOptions(Settings settings)
    {
        EhloExtensions extensions = EhloExtensions.Pipelining | EhloExtensions.Size | EhloExtensions.EightBitMime
            | EhloExtensions.EnhancedStatusCodes | EhloExtensions.Chunking;
        if (settings.Tls == "starttls")
        {
            extensions |= EhloExtensions.StartTls;
        }

        return settings.Sink with
        {
            Extensions = extensions,
            ReplyDelay = TimeSpan.FromMilliseconds(settings.ReplyDelayMs),
            MaxConnections = Math.Max(256, settings.Connections * 2),
            StoreDirectory = settings.Store,
        };
    }

    private static void Report(Settings settings, BlastResult result, SmtpSink? sink)
    {
        double perSecond = result.Messages / result.Seconds;
        double megabytesPerSecond = (double)result.Messages * settings.Size / result.Seconds / 1e6;
        double allocatedPerMessage = (double)result.AllocatedBytes / result.Messages;
        string mode = settings.Chunking ? "BDAT" : "DATA";
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"blast: {result.Messages} messages of {settings.Size} B over {settings.Connections} connection(s), {mode}, to {settings.Server ?? "the embedded sink"}");
        table.AppendLine(CultureInfo.InvariantCulture, $"  accepted            {result.Accepted,12:N0}");
        table.AppendLine(CultureInfo.InvariantCulture, $"  failed              {result.Failed,12:N0}");
        foreach ((SmtpFailureReason reason, int count) in result.FailedByReason)
        {
            table.AppendLine(CultureInfo.InvariantCulture, $"    {reason,-18}{count,12:N0}");
        }

        table.AppendLine(CultureInfo.InvariantCulture, $"  seconds             {result.Seconds,12:F3}");
        table.AppendLine(CultureInfo.InvariantCulture, $"  messages/s          {perSecond,12:N0}");
        table.AppendLine(CultureInfo.InvariantCulture, $"  MB/s                {megabytesPerSecond,12:F1}");
        table.AppendLine(CultureInfo.InvariantCulture, $"  latency p50 / p90 / p99 / max  {result.Latency(0.50):F2} / {result.Latency(0.90):F2} / {result.Latency(0.99):F2} / {result.Latency(1.0):F2} ms");
        table.AppendLine(CultureInfo.InvariantCulture, $"  allocated/message   {allocatedPerMessage,12:N0} B (process-wide{(sink is null ? "" : ", sink included")})");
        table.AppendLine(CultureInfo.InvariantCulture, $"  CPU/message         {result.CpuSeconds * 1e6 / result.Messages,12:N1} us (process-wide{(sink is null ? "" : ", sink included")})");
        if (sink is not null)
        {
            table.AppendLine(CultureInfo.InvariantCulture, $"  sink received       {sink.Messages,12:N0}");
        }

        Console.Error.Write(table.ToString());
        if (!settings.Json)
        {
            return;
        }

        using var stdout = Console.OpenStandardOutput();
        using (var json = new Utf8JsonWriter(stdout))
        {
            json.WriteStartObject();
            json.WriteNumber("messages", result.Messages);
            json.WriteNumber("accepted", result.Accepted);
            json.WriteNumber("failed", result.Failed);
            json.WriteNumber("seconds", Math.Round(result.Seconds, 6));
            json.WriteNumber("messagesPerSecond", Math.Round(perSecond, 1));
            json.WriteNumber("megabytesPerSecond", Math.Round(megabytesPerSecond, 3));
            json.WriteNumber("allocatedBytesPerMessage", Math.Round(allocatedPerMessage, 1));
            json.WriteNumber("cpuMicrosecondsPerMessage", Math.Round(result.CpuSeconds * 1e6 / result.Messages, 2));
            json.WriteStartObject("latencyMs");
            json.WriteNumber("p50", Math.Round(result.Latency(0.50), 3));
            json.WriteNumber("p90", Math.Round(result.Latency(0.90), 3));
            json.WriteNumber("p99", Math.Round(result.Latency(0.99), 3));
            json.WriteNumber("max", Math.Round(result.Latency(1.0), 3));
            json.WriteEndObject();
            json.WriteStartObject("failedByReason");
            foreach ((SmtpFailureReason reason, int count) in result.FailedByReason)
            {
                json.WriteNumber(reason.ToString(), count);
            }

            json.WriteEndObject();
            json.WriteNumber("connections", settings.Connections);
            json.WriteNumber("size", settings.Size);
            json.WriteBoolean("chunking", settings.Chunking);
            json.WriteNumber("warmup", settings.Warmup);
            json.WriteString("server", settings.Server ?? "embedded");
            if (sink is not null)
            {
                json.WriteNumber("sinkMessages", sink.Messages);
            }

            json.WriteEndObject();
        }

        stdout.Write("\n"u8);
    }

    /// <summary>What the timed window measured.</summary>
    internal sealed record BlastResult(int Messages, int Accepted, int Failed, double Seconds, long AllocatedBytes, long[] LatencyTicks, IReadOnlyList<(SmtpFailureReason Reason, int Count)> FailedByReason)
    {
        /// <summary>The process's CPU time (user + system, every thread) over the timed window.</summary>
        public double CpuSeconds { get; init; }

        public double Latency(double quantile)
        {
            if (LatencyTicks.Length == 0)
            {
                return 0;
            }

            long[] sorted = [.. LatencyTicks];
            Array.Sort(sorted);
            int index = (int)Math.Min(sorted.Length - 1, Math.Ceiling(quantile * sorted.Length) - 1);
            return sorted[Math.Max(0, index)] * 1000.0 / Stopwatch.Frequency;
        }
    }

    /// <summary>A message of an exact size: headers with a fixed-width Message-ID, then 76-character lines.</summary>
    internal sealed class MessageTemplate
    {
        private const string IdPrefix = "Message-ID: <";
        private const int IdDigits = 16;
        private static readonly string Headers =
            $"From: <{From}>\r\nTo: <{To}>\r\nSubject: smtpcodec blast\r\n{IdPrefix}{new string('0', IdDigits)}.blast@smtpcodec.test>\r\n\r\n";

        private readonly int _idOffset;

        public MessageTemplate(int size)
        {
            byte[] bytes = new byte[size];
            Encoding.ASCII.GetBytes(Headers, bytes);
            int at = Headers.Length;
            const string Line = "The quick brown fox jumps over the lazy dog while the dog lets it go by.  ";
            while (at < size)
            {
                // Lines of at most 74 characters plus CRLF; the last one takes what is left (at least CRLF).
                int left = size - at;
                int length = left <= 76 ? left - 2 : Math.Min(74, left - 4);
                Encoding.ASCII.GetBytes(Line.AsSpan(0, length), bytes.AsSpan(at));
                bytes[at + length] = (byte)'\r';
                bytes[at + length + 1] = (byte)'\n';
                at += length + 2;
            }

            Bytes = bytes;
            _idOffset = Headers.IndexOf(IdPrefix, StringComparison.Ordinal) + IdPrefix.Length;
        }

        public static int MinimumSize => Headers.Length + 2;

        public byte[] Bytes { get; }

        public void SetMessageId(long id) =>
            id.TryFormat(Bytes.AsSpan(_idOffset, IdDigits), out _, "X16", CultureInfo.InvariantCulture);
    }

    /// <summary>A progress bar on stderr, redrawn a few times a second.</summary>
    internal sealed class ProgressBar : IDisposable
    {
        private readonly int _total;
        private readonly Func<int> _done;
        private readonly Timer _timer;
        private readonly long _start = Stopwatch.GetTimestamp();

        public ProgressBar(int total, Func<int> done)
        {
            _total = total;
            _done = done;
            _timer = new Timer(_ => Draw(), null, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250));
        }

        public void Finish()
        {
            _timer.Dispose();
            Draw();
            Console.Error.WriteLine();
        }

        public void Dispose() => _timer.Dispose();

        private void Draw()
        {
            int done = _done();
            const int Width = 30;
            int filled = (int)((long)done * Width / _total);
            double seconds = Stopwatch.GetElapsedTime(_start).TotalSeconds;
            Console.Error.Write(string.Create(CultureInfo.InvariantCulture,
                $"\r[{new string('#', filled)}{new string('.', Width - filled)}] {done,10:N0}/{_total:N0}  {done / Math.Max(seconds, 1e-9),10:N0} msg/s"));
        }
    }
}
