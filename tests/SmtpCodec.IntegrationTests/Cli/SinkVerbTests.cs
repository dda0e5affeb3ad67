using System.Text.Json;
using SmtpCodec.Client;
using SmtpCodec.Protocol;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Cli;

/// <summary><c>smtpcodec sink</c> run as a process, as a user would: started on port 0, sent mail, stopped by a signal.</summary>
public sealed class SinkVerbTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sink-verb-").FullName;

    [Fact]
    public async Task TheSinkReceivesMailOverStartTlsWithAuthUntilSigintThenWritesItsStats()
    {
        (string certificate, string key) = TestCertificates.WriteLocalhostPem(_directory);
        string stats = Path.Combine(_directory, "stats.json");
        string store = Path.Combine(_directory, "store");
        await using CliServerProcess sink = await CliServerProcess.StartAsync(
            "sink", "--listen", "127.0.0.1:0", "--tls", "--cert", certificate, "--key", key,
            "--user", "you@icloud.com:email-me-your-favorite-color", "--stats", stats, "--store", store);
        Assert.True(sink.EndPoint is { Port: > 0 }, sink.FirstLine);

        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, new SmtpConnectionOptions
        {
            EhloName = "client.test",
            Tls = new SmtpTlsOptions { PinnedCertificate = TestCertificates.Localhost, TargetHost = "localhost" },
            Credentials = new SmtpCredentials("you@icloud.com", "email-me-your-favorite-color"),
        }))
        {
            Assert.Equal(SaslMechanism.ScramSha256, connection.AuthenticatedWith);
            for (int i = 0; i < 3; i++)
            {
                await connection.SendAsync(new SmtpEnvelope("you@icloud.com", "friend@gmail.com"), "Subject: hi\r\n\r\nhello\r\n"u8.ToArray());
            }

            await connection.QuitAsync();
        }

        CliResult result = await sink.StopAsync("INT");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal($"listening on 127.0.0.1:{sink.EndPoint.Port}\n", result.StdoutText);
        using JsonDocument json = JsonDocument.Parse(await File.ReadAllTextAsync(stats));
        Assert.Equal(3, json.RootElement.GetProperty("messages").GetInt64());
        Assert.Equal(3 * 22, json.RootElement.GetProperty("bytes").GetInt64());
        Assert.Equal(1, json.RootElement.GetProperty("connections").GetInt64());
        Assert.Equal(0, json.RootElement.GetProperty("sessionFaults").GetInt64());
        Assert.Equal(3, Directory.GetFiles(store, "*.eml").Length);
    }

    [Fact]
    public async Task FaultsFromTheCommandLineAreInjectedAndCountedAndSigtermStopsTheSink()
    {
        string stats = Path.Combine(_directory, "stats.json");
        await using CliServerProcess sink = await CliServerProcess.StartAsync(
            "sink", "--listen", "127.0.0.1:0", "--fault", "EOD:5xx=1", "--fault", "*:delay=1", "--fault-seed", "9", "--stats", stats);
        Assert.NotNull(sink.EndPoint);

        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync(
            "127.0.0.1", sink.EndPoint.Port, new SmtpConnectionOptions { TlsMode = SmtpTlsMode.None, EhloName = "client.test" }))
        {
            for (int i = 0; i < 2; i++)
            {
                SmtpReplyException refused = await Assert.ThrowsAsync<SmtpReplyException>(
                    () => connection.SendAsync(new SmtpEnvelope("a@b.c", "d@e.f"), "hi\r\n"u8.ToArray()));
                Assert.Equal(554, refused.ReplyCode);
            }

            await connection.QuitAsync();
        }

        CliResult result = await sink.StopAsync("TERM");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using JsonDocument json = JsonDocument.Parse(await File.ReadAllTextAsync(stats));
        Assert.Equal(0, json.RootElement.GetProperty("messages").GetInt64());
        Assert.Equal(2, json.RootElement.GetProperty("faults").GetProperty("5xx").GetInt64());
        Assert.True(json.RootElement.GetProperty("faults").GetProperty("delay").GetInt64() >= 8);
    }

    [Theory]
    [InlineData("RCPT:4xx=1.5", "'RCPT:4xx=1.5'")]
    [InlineData("FROB:drop=0.1", "'FROB'")]
    [InlineData("RCPT:sometimes=0.1", "'sometimes'")]
    public async Task ABadFaultSpecIsAUsageErrorNamingIt(string spec, string named)
    {
        CliResult result = await CliProcess.RunAsync(null, "sink", "--listen", "127.0.0.1:0", "--fault", spec);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(named, result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task FaultsThatAddUpToMoreThanCertaintyAreAUsageError()
    {
        CliResult result = await CliProcess.RunAsync(null, "sink", "--listen", "127.0.0.1:0", "--fault", "RCPT:4xx=0.7", "--fault", "RCPT:5xx=0.7");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("RCPT", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Theory]
    [InlineData("--listen", "somewhere:25", "somewhere:25")]
    [InlineData("--listen", "127.0.0.1", "127.0.0.1")]
    [InlineData("--auth", "KERBEROS-9", "KERBEROS-9")]
    [InlineData("--user", "nocolon", "nocolon")]
    [InlineData("--chunking", "maybe", "maybe")]
    [InlineData("--cert", "/no/such/cert.pem", "/no/such/cert.pem")]
    public async Task ABadOptionIsAUsageErrorNamingIt(string option, string value, string named)
    {
        CliResult result = option == "--listen"
            ? await CliProcess.RunAsync(null, "sink", option, value)
            : await CliProcess.RunAsync(null, "sink", "--listen", "127.0.0.1:0", option, value);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(named, result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task HelpDescribesEveryOption()
    {
        CliResult result = await CliProcess.RunAsync(null, "sink", "--help");

        Assert.Equal(0, result.ExitCode);
        foreach (string option in new[] { "--listen", "--tls", "--cert", "--key", "--user", "--require-auth", "--auth", "--chunking", "--profile", "--reply-delay-ms", "--fault", "--fault-seed", "--store", "--max-message-size", "--command-timeout", "--handshake-timeout", "--stats", "SIGTERM" })
        {
            Assert.Contains(option, result.StdoutText, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task WithRequireAuthMailWaitsForAuthAndTheOptionNeedsAUser()
    {
        await using CliServerProcess sink = await CliServerProcess.StartAsync(
            "sink", "--listen", "127.0.0.1:0", "--user", "you@icloud.com:secret", "--require-auth");
        Assert.True(sink.EndPoint is { Port: > 0 }, sink.FirstLine);
        var anonymous = new SmtpConnectionOptions { EhloName = "client.test", TlsMode = SmtpTlsMode.None };

        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, anonymous))
        {
            SmtpReplyException refused = await Assert.ThrowsAsync<SmtpReplyException>(
                () => connection.SendAsync(new SmtpEnvelope("you@icloud.com", "friend@gmail.com"), "hello\r\n"u8.ToArray()));
            Assert.Equal("530 5.7.0 Authentication required", refused.Reply.ToString());
        }

        var authenticated = new SmtpConnectionOptions
        {
            EhloName = "client.test",
            TlsMode = SmtpTlsMode.None,
            AllowAuthenticationWithoutTls = true,
            Credentials = new SmtpCredentials("you@icloud.com", "secret"),
        };
        await using (SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, authenticated))
        {
            SmtpSendResult sent = await connection.SendAsync(new SmtpEnvelope("you@icloud.com", "friend@gmail.com"), "hello\r\n"u8.ToArray());
            Assert.Equal(250, sent.Reply.Code);
            await connection.QuitAsync();
        }

        Assert.Equal(0, (await sink.StopAsync("INT")).ExitCode);

        CliResult noUser = await CliProcess.RunAsync(null, "sink", "--listen", "127.0.0.1:0", "--require-auth");
        Assert.Equal(2, noUser.ExitCode);
        Assert.Contains("--require-auth needs at least one --user", noUser.Stderr, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
