using System.Text.Json;
using SmtpCodec.Protocol;
using SmtpCodec.Sink;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Cli;

/// <summary><c>smtpcodec blast</c> run as a process, as a user measuring throughput would.</summary>
public sealed class BlastVerbTests
{
    [Theory]
    [InlineData("off", "none")]
    [InlineData("on", "none")]
    [InlineData("off", "starttls")]
    public async Task JsonReportsEveryMessageAndTheSinkCountsTheSame(string chunking, string tls)
    {
        CliResult result = await CliProcess.RunAsync(null, "blast", "--messages", "400", "--connections", "3", "--size", "1500",
            "--warmup", "50", "--warmup-seconds", "0", "--chunking", chunking, "--tls", tls, "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        string[] lines = result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        JsonElement json = JsonDocument.Parse(Assert.Single(lines)).RootElement;
        Assert.Equal(400, json.GetProperty("messages").GetInt32());
        Assert.Equal(400, json.GetProperty("accepted").GetInt32());
        Assert.Equal(0, json.GetProperty("failed").GetInt32());
        Assert.Equal(450, json.GetProperty("sinkMessages").GetInt64());
        double seconds = json.GetProperty("seconds").GetDouble();
        Assert.True(seconds > 0);
        Assert.Equal(400 / seconds, json.GetProperty("messagesPerSecond").GetDouble(), 400 / seconds * 0.01);
        Assert.True(json.GetProperty("allocatedBytesPerMessage").GetDouble() > 0);
        Assert.True(json.GetProperty("cpuMicrosecondsPerMessage").GetDouble() > 0);
        Assert.True(json.GetProperty("latencyMs").GetProperty("p99").GetDouble() >= json.GetProperty("latencyMs").GetProperty("p50").GetDouble());
        Assert.Contains("messages/s", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("/400", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheWarmUpGoesOnPastItsCountUntilItsTimeIsUp()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        CliResult result = await CliProcess.RunAsync(null, "blast", "--messages", "50", "--connections", "2", "--size", "1000",
            "--warmup", "10", "--warmup-seconds", "2", "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2), $"the process ended after {clock.Elapsed}");
        JsonElement json = JsonDocument.Parse(Assert.Single(result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
        Assert.Equal(50, json.GetProperty("accepted").GetInt32());

        // 10 warm-up messages, then rounds of 100 until 2 s have passed: at least one round.
        long warmedUp = json.GetProperty("sinkMessages").GetInt64() - 50;
        Assert.True(warmedUp >= 110 && (warmedUp - 10) % 100 == 0, $"{warmedUp} warm-up messages");
    }

    [Theory]
    [InlineData("off")]
    [InlineData("on")]
    public async Task UnderInjectedFaultsEveryMessageEndsOnceAndTheSinkHoldsExactlyTheAccepted(string chunking)
    {
        string store = Directory.CreateTempSubdirectory("smtpcodec-blast-").FullName;
        try
        {
            CliResult result = await CliProcess.RunAsync(null, "blast", "--messages", "300", "--connections", "3", "--size", "1200", "--warmup", "0",
                "--chunking", chunking, "--fault", "RCPT:4xx=0.05", "--fault", "EOD:5xx=0.03", "--fault", "EOD:drop=0.02", "--fault-seed", "7",
                "--store", store, "--json");

            JsonElement json = JsonDocument.Parse(Assert.Single(result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
            int accepted = json.GetProperty("accepted").GetInt32();
            int failed = json.GetProperty("failed").GetInt32();
            Assert.Equal(300, accepted + failed);
            Assert.True(failed > 0, "the faults should have failed some messages");
            Assert.Equal(failed > 0 ? 1 : 0, result.ExitCode);
            Assert.Equal(accepted, json.GetProperty("sinkMessages").GetInt32());
            int byReason = json.GetProperty("failedByReason").EnumerateObject().Sum(p => p.Value.GetInt32());
            Assert.Equal(failed, byReason);

            string[] ids = [.. Directory.GetFiles(store, "*.eml").Select(f => File.ReadLines(f).First(l => l.StartsWith("Message-ID:", StringComparison.Ordinal)))];
            Assert.Equal(accepted, ids.Length);
            Assert.Equal(ids.Length, ids.Distinct().Count());
            Assert.All(Directory.GetFiles(store, "*.eml"), f => Assert.Equal(1200, new FileInfo(f).Length));
        }
        finally
        {
            Directory.Delete(store, recursive: true);
        }
    }

    [Theory]
    [InlineData("--messages", "0")]
    [InlineData("--size", "10")]
    [InlineData("--server", "nowhere")]
    [InlineData("--chunking", "maybe")]
    [InlineData("--fault", "RCPT:7xx=0.5")]
    public async Task BadOptionsExitTwoWithOneClearLine(string option, string value)
    {
        string[] args = option == "--messages" ? ["blast", option, value] : ["blast", "--messages", "10", option, value];
        CliResult result = await CliProcess.RunAsync(null, args);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(option, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWrongPasswordStopsThePoolAtOnceAndTheSummaryCountsEveryMessageFailed()
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions
        {
            Extensions = EhloExtensions.Pipelining | EhloExtensions.EnhancedStatusCodes | EhloExtensions.StartTls | EhloExtensions.Auth,
            AuthMechanisms = SaslMechanismFlags.Plain,
            Users = new Dictionary<string, string> { ["me@test"] = "right" },
        });
        string certificate = Path.Combine(Path.GetTempPath(), $"smtpcodec-blast-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(certificate, sink.Certificate!.ExportCertificatePem());
        try
        {
            CliResult result = await CliProcess.RunWithEnvironmentAsync(null, new Dictionary<string, string> { ["BLAST_SECRET"] = "wrong" },
                "blast", "--server", $"127.0.0.1:{sink.EndPoint.Port}", "--tls", "starttls", "--trust-cert", certificate,
                "--user", "me@test", "--password-env", "BLAST_SECRET", "--auth", "PLAIN",
                "--messages", "200", "--connections", "4", "--warmup", "0", "--json");

            Assert.True(result.ExitCode == 1, $"{result.ExitCode}: {result.Stderr}");
            JsonElement json = JsonDocument.Parse(Assert.Single(result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
            Assert.Equal(200, json.GetProperty("messages").GetInt32());
            Assert.Equal(0, json.GetProperty("accepted").GetInt32());
            Assert.Equal(200, json.GetProperty("failed").GetInt32());
            Assert.True(json.GetProperty("seconds").GetDouble() < 5, result.StdoutText);
            Assert.Contains("535", result.Stderr, StringComparison.Ordinal);

            // One login per connection, never one per message.
            Assert.InRange(sink.Connections, 1, 4);
            Assert.Equal(0, sink.Messages);
        }
        finally
        {
            File.Delete(certificate);
        }
    }
}
