using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SmtpCodec.Client;
using SmtpCodec.Sink;

namespace SmtpCodec.Extensions.Hosting.Tests;

public sealed class TranscriptLoggingTests
{
    private const string Category = "SmtpCodec.SmtpSender";

    private static readonly string[] s_twoSenders = ["first", "second"];

    [Fact]
    public async Task DebugLinesCarryTheConnectionIdRedactTheSecretAndLeaveOutTheBody()
    {
        await using SmtpSink sink = TestHost.StartSink();
        var logs = new CapturingLoggerProvider();
        IReadOnlyList<CapturingLoggerProvider.LogEntry> transcript = await SendAsync(sink, logs, TestHost.SenderKeys(sink, connections: 8), 16);

        Assert.All(transcript, e => Assert.Equal(LogLevel.Debug, e.Level));
        Assert.All(transcript, e => Assert.IsType<long>(e.Properties["ConnectionId"]));

        // Eight connections, each its own id: every connection's lines can be told apart, one session each.
        var sessions = transcript.GroupBy(e => (long)e.Properties["ConnectionId"]!).ToList();
        Assert.Equal(8, sessions.Count);
        Assert.All(sessions, s => Assert.Single(s, e => e.Message.EndsWith("C: EHLO client.test", StringComparison.Ordinal) && IsFirstEhlo(s, e)));
        Assert.All(sessions, s => Assert.Contains(s, e => e.Message.EndsWith("C: AUTH PLAIN <redacted>", StringComparison.Ordinal)));
        Assert.All(sessions, s => Assert.Contains(s, e => e.Message.Contains("TLS established", StringComparison.Ordinal)));
        Assert.Contains($"#{sessions[0].Key} ", sessions[0].First().Message, StringComparison.Ordinal);

        // No secret and no message content: the terminator and a note stand for the content.
        string all = string.Join("\n", transcript.Select(e => e.Message));
        Assert.DoesNotContain(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"\0{TestHost.User}\0{TestHost.Password}")), all, StringComparison.Ordinal);
        Assert.DoesNotContain(TestHost.Password, all, StringComparison.Ordinal);
        Assert.DoesNotContain("BODY-LINE", all, StringComparison.Ordinal);
        Assert.DoesNotContain("Subject: hosting", all, StringComparison.Ordinal);
        Assert.Equal(16, transcript.Count(e => e.Message.EndsWith("C: .", StringComparison.Ordinal)));
        Assert.Equal(16, transcript.Count(e => e.Message.EndsWith("message content sent (not shown)", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task BodyLinesAppearWhenTheOptionAsksForThem()
    {
        await using SmtpSink sink = TestHost.StartSink();
        var logs = new CapturingLoggerProvider();
        Dictionary<string, string?> keys = TestHost.SenderKeys(sink, connections: 1);
        keys["Smtp:Connection:TranscriptIncludesContent"] = "true";
        IReadOnlyList<CapturingLoggerProvider.LogEntry> transcript = await SendAsync(sink, logs, keys, 2);

        Assert.Contains(transcript, e => e.Message.EndsWith("C: BODY-LINE of message 0", StringComparison.Ordinal));
        Assert.Contains(transcript, e => e.Message.EndsWith("C: Subject: hosting 1", StringComparison.Ordinal));
        Assert.DoesNotContain(transcript, e => e.Message.Contains("not shown", StringComparison.Ordinal));
        Assert.Contains(transcript, e => e.Message.EndsWith("C: AUTH PLAIN <redacted>", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AConnectionFailureIsAWarningAndAnOpenedBreakerAnError()
    {
        await using SmtpSink sink = TestHost.StartSink();
        var logs = new CapturingLoggerProvider();
        using IHost host = TestHost.Build(TestHost.SenderKeys(sink, password: "wrong", connections: 1), (services, configuration) => services.AddSmtpSender(configuration.GetSection("Smtp")), logs);
        await host.StartAsync();
        await host.StopAsync();

        CapturingLoggerProvider.LogEntry breaker = Assert.Single(logs.Entries, e => e.Category == Category && e.Level == LogLevel.Error);
        Assert.Contains("the breaker is open", breaker.Message, StringComparison.Ordinal);
        Assert.Contains("535", breaker.Message, StringComparison.Ordinal);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("could not be opened at start", StringComparison.Ordinal));

        var refused = SmtpSink.Start(new SmtpSinkOptions());
        int port = refused.EndPoint.Port;
        await refused.DisposeAsync();
        var transientLogs = new CapturingLoggerProvider();
        using IHost down = TestHost.Build(
            new Dictionary<string, string?> { ["Smtp:Host"] = "127.0.0.1", ["Smtp:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture), ["Smtp:Connections"] = "1" },
            (services, configuration) => services.AddSmtpSender(configuration.GetSection("Smtp")),
            transientLogs);
        await down.StartAsync();
        await down.StopAsync();
        Assert.Contains(transientLogs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("a connection could not be opened (Connect); the pool tries again", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConnectionOptionsSharedByTwoSendersLogEachLineOnce()
    {
        await using SmtpSink sink = TestHost.StartSink();
        var logs = new CapturingLoggerProvider();
        var shared = new SmtpConnectionOptions
        {
            EhloName = "client.test",
            TlsMode = SmtpTlsMode.StartTlsRequired,
            Tls = new SmtpTlsOptions { PinnedCertificate = sink.Certificate },
            Credentials = new SmtpCredentials(TestHost.User, TestHost.Password),
        };
        using IHost host = TestHost.Build([], (services, _) =>
        {
            foreach (string name in s_twoSenders)
            {
                services.AddSmtpSender(name, options =>
                {
                    options.Host = "127.0.0.1";
                    options.Port = sink.EndPoint.Port;
                    options.Connections = 1;
                    options.Connection = shared;
                });
            }
        }, logs);
        await host.StartAsync();
        foreach (string name in s_twoSenders)
        {
            SmtpSender sender = host.Services.GetRequiredKeyedService<SmtpSender>(name);
            for (int i = 0; i < 2; i++)
            {
                Assert.True((await sender.SendAsync(TestHost.Envelope(), TestHost.Message(i))).Accepted);
            }
        }

        await host.StopAsync();
        var transcript = logs.Entries.Where(e => e.Category == Category && e.EventId.Id == 1).ToList();
        Assert.Equal(4, transcript.Count(e => e.Message.EndsWith("C: .", StringComparison.Ordinal)));
        Assert.Equal(2, transcript.Select(e => (long)e.Properties["ConnectionId"]!).Distinct().Count());
    }

    private static bool IsFirstEhlo(IGrouping<long, CapturingLoggerProvider.LogEntry> session, CapturingLoggerProvider.LogEntry entry) =>
        session.First(e => e.Message.EndsWith("C: EHLO client.test", StringComparison.Ordinal)) == entry;

    private static async Task<IReadOnlyList<CapturingLoggerProvider.LogEntry>> SendAsync(SmtpSink sink, CapturingLoggerProvider logs, Dictionary<string, string?> keys, int count)
    {
        using IHost host = TestHost.Build(keys, (services, configuration) => services.AddSmtpSender(configuration.GetSection("Smtp")), logs);
        await host.StartAsync();
        SmtpSender sender = host.Services.GetRequiredService<SmtpSender>();
        SmtpDelivery[] deliveries = await Task.WhenAll(Enumerable.Range(0, count).Select(i => sender.SendAsync(TestHost.Envelope(), TestHost.Message(i)).AsTask()));
        await host.StopAsync();
        Assert.All(deliveries, d => Assert.True(d.Accepted, d.Error));
        Assert.Equal(count, sink.Messages);
        return [.. logs.Entries.Where(e => e.Category == Category && e.EventId.Id == 1)];
    }
}
