using System.Net;
using System.Text;
using SmtpCodec.Protocol;
using SmtpCodec.Sink;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Cli;

/// <summary><c>smtpcodec send</c> run as a process against the embedded sink (and a scripted server where a reply must be exact).</summary>
public sealed class SendVerbTests : IDisposable
{
    private const string Message = "From: a@test\r\nTo: b@test\r\nSubject: cli\r\n\r\nHello from the command line.\r\n.leading dot\r\n";
    private readonly string _directory = Directory.CreateTempSubdirectory("smtpcodec-send-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("PLAIN")]
    [InlineData("LOGIN")]
    [InlineData("XOAUTH2")]
    [InlineData("OAUTHBEARER")]
    [InlineData("CRAM-MD5")]
    [InlineData("SCRAM-SHA-256")]
    public async Task SendsOverStartTlsWithEachMechanism(string mechanism)
    {
        await using SmtpSink sink = StartSink();
        CliResult result = await SendAsync(sink, Message, "--user", "me@test", "--password-env", "SMTPCODEC_TEST_SECRET", "--auth", mechanism, "--trust-cert", CertificateFile(sink));

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.StartsWith("250 2.0.0 ", result.StdoutText, StringComparison.Ordinal);
        Assert.Equal(1, sink.Messages);
    }

    [Fact]
    public async Task WithoutAuthTheBestMechanismOfferedIsChosen()
    {
        await using SmtpSink sink = StartSink();
        CliResult result = await SendAsync(sink, Message, "--user", "me@test", "--password-env", "SMTPCODEC_TEST_SECRET", "--trust-cert", CertificateFile(sink), "--transcript");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("C: AUTH SCRAM-SHA-256", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, sink.Messages);
    }

    [Fact]
    public async Task AWrongPasswordFailsWithOneClearLineAndSendsNothing()
    {
        await using SmtpSink sink = StartSink();
        CliResult result = await SendWithSecretAsync(sink, Message, "not-the-password", "--user", "me@test", "--password-env", "SMTPCODEC_TEST_SECRET", "--trust-cert", CertificateFile(sink));

        Assert.True(result.ExitCode == 1, $"{result.ExitCode}: {result.Stderr}");
        Assert.Contains("535", result.Stderr, StringComparison.Ordinal);
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(0, sink.Messages);
    }

    [Theory]
    [InlineData("--to", "friend@test>\r\nRCPT TO:<other@test")]
    [InlineData("--to", "friend@test\nDATA")]
    [InlineData("--from", "me@test\r\n")]
    [InlineData("--to", "not an address")]
    public async Task AnAddressWithCrLfOrBadSyntaxIsRejectedBeforeAnythingIsSent(string option, string address)
    {
        await using SmtpSink sink = StartSink();
        string[] args = option == "--from"
            ? ["send", "--server", Server(sink), "--tls", "none", "--from", address, "--to", "b@test"]
            : ["send", "--server", Server(sink), "--tls", "none", "--from", "a@test", option, address];
        CliResult result = await CliProcess.RunAsync(Encoding.ASCII.GetBytes(Message), args);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("is not a valid address", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, sink.Connections);
    }

    [Fact]
    public async Task SomeRecipientsRefusedExitsFourAfterSendingToTheOthers()
    {
        var server = new ScriptedSmtpServer()
            .Send("220 scripted ESMTP\n").ExpectPrefix("EHLO ").Send("250-scripted\n250 PIPELINING\n")
            .Expect("MAIL FROM:<a@test>").Expect("RCPT TO:<b@test>").Expect("RCPT TO:<nobody@test>").Expect("DATA")
            .Send("250 2.1.0 Ok\n250 2.1.5 Ok\n550 5.1.1 No such user\n354 Go ahead\n")
            .ExpectContent().Send("250 2.0.0 Ok: queued as X1\n").Expect("QUIT").Send("221 Bye\n");
        (int port, Task completion) = server.ListenOnce();
        CliResult result = await CliProcess.RunAsync(Encoding.ASCII.GetBytes(Message),
            "send", "--server", $"127.0.0.1:{port}", "--tls", "none", "--from", "a@test", "--to", "b@test", "--to", "nobody@test");
        await completion;

        Assert.Equal(4, result.ExitCode);
        Assert.Equal("250 2.0.0 Ok: queued as X1", result.StdoutText.TrimEnd());
        Assert.Contains("nobody@test refused: 550 5.1.1 No such user", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("close")]
    [InlineData("421")]
    [InlineData("500")]
    public async Task OnceTheMessageIsAcceptedTheExitIsZeroWhateverQuitGets(string quit)
    {
        var server = new ScriptedSmtpServer()
            .Send("220 scripted ESMTP\n").ExpectPrefix("EHLO ").Send("250-scripted\n250 PIPELINING\n")
            .Expect("MAIL FROM:<a@test>").Expect("RCPT TO:<b@test>").Expect("DATA")
            .Send("250 2.1.0 Ok\n250 2.1.5 Ok\n354 Go ahead\n")
            .ExpectContent().Send("250 2.0.0 Ok: queued as Q1\n").Expect("QUIT");
        server = quit == "close" ? server.Close() : server.Send($"{quit} 4.3.2 Going away\n".Replace("500 4", "500 5", StringComparison.Ordinal)).Close();
        (int port, Task completion) = server.ListenOnce();
        CliResult result = await CliProcess.RunAsync(Encoding.ASCII.GetBytes(Message),
            "send", "--server", $"127.0.0.1:{port}", "--tls", "none", "--from", "a@test", "--to", "b@test");
        await completion;

        Assert.True(result.ExitCode == 0, $"{result.ExitCode}: {result.Stderr}");
        Assert.Equal("250 2.0.0 Ok: queued as Q1", result.StdoutText.TrimEnd());
        if (quit == "close")
        {
            Assert.Contains("warning: the message was accepted", result.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TimeoutCapsEveryPhase()
    {
        var release = new TaskCompletionSource();
        var server = new ScriptedSmtpServer().Stall(release.Task);
        (int port, Task completion) = server.ListenOnce();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        CliResult result = await CliProcess.RunAsync(Encoding.ASCII.GetBytes(Message),
            "send", "--server", $"127.0.0.1:{port}", "--tls", "none", "--from", "a@test", "--to", "b@test", "--timeout", "1");
        release.SetResult();
        await completion.ContinueWith(_ => { }, TaskScheduler.Default);

        Assert.True(result.ExitCode == 3, $"{result.ExitCode}: {result.Stderr}");
        Assert.Contains("did not answer within 1 s (Greeting)", result.Stderr, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");

        CliResult help = await CliProcess.RunAsync([], "send", "--help");
        Assert.Contains("greeting 300", help.StdoutText, StringComparison.Ordinal);
        Assert.Contains("end of data 600", help.StdoutText, StringComparison.Ordinal);

        CliResult bad = await CliProcess.RunAsync([], "send", "--server", "127.0.0.1:25", "--from", "a@test", "--to", "b@test", "--timeout", "0");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--timeout 0 is out of range", bad.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task EightBitContentFromStdinDeclares8BitMimeOrIsRefusedWithOneLine(bool offered)
    {
        EhloExtensions extensions = EhloExtensions.Pipelining | EhloExtensions.Size | EhloExtensions.EnhancedStatusCodes;
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { Extensions = offered ? extensions | EhloExtensions.EightBitMime : extensions });
        const string eightBit = "From: a@test\r\nTo: b@test\r\nSubject: caf\u00e9\r\n\r\nd\u00e9j\u00e0 vu\r\n";
        CliResult result = await CliProcess.RunAsync(Encoding.UTF8.GetBytes(eightBit),
            "send", "--server", Server(sink), "--tls", "none", "--from", "a@test", "--to", "b@test", "--transcript");

        if (offered)
        {
            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Contains(" BODY=8BITMIME", result.Stderr, StringComparison.Ordinal);
            Assert.Equal(1, sink.Messages);
        }
        else
        {
            Assert.Equal(5, result.ExitCode);
            string[] errors = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("smtpcodec send:", StringComparison.Ordinal)).ToArray();
            Assert.Contains("8BITMIME", Assert.Single(errors), StringComparison.Ordinal);
            Assert.DoesNotContain("C: MAIL", result.Stderr, StringComparison.Ordinal);
            Assert.Equal(0, sink.Messages);
        }
    }

    [Fact]
    public async Task ABody7BitThatIsNotIsRefusedBeforeMail()
    {
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { Extensions = EhloExtensions.Pipelining | EhloExtensions.EightBitMime });
        string file = Path.Combine(_directory, "eight.eml");
        await File.WriteAllTextAsync(file, "Subject: x\r\n\r\nna\u00efve\r\n");
        CliResult result = await CliProcess.RunAsync([], "send", file, "--server", Server(sink), "--tls", "none", "--from", "a@test", "--to", "b@test", "--body", "7bit");

        Assert.Equal(5, result.ExitCode);
        Assert.Contains("BODY=7BIT was declared", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, sink.Messages);
    }

    [Fact]
    public async Task AMessageTheServerRefusesExitsFive()
    {
        // No SIZE offered, so the client cannot refuse it first: the server's 552 at the end of data decides.
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { MaxMessageSize = 20, Extensions = EhloExtensions.Pipelining | EhloExtensions.EnhancedStatusCodes });
        CliResult result = await SendWithSecretAsync(sink, Message, null, "--tls", "none");

        Assert.Equal(5, result.ExitCode);
        Assert.Contains("552 5.3.4", result.Stderr, StringComparison.Ordinal);
        Assert.StartsWith("552 5.3.4", result.StdoutText, StringComparison.Ordinal);
        Assert.Equal(0, sink.Messages);
    }

    [Fact]
    public async Task AMessageOverTheOfferedSizeIsRefusedBeforeMailAndExitsFive()
    {
        // stdin is read through before MAIL, so its size is declared and checked against the server's SIZE.
        await using SmtpSink sink = SmtpSink.Start(new SmtpSinkOptions { MaxMessageSize = 20, Extensions = EhloExtensions.Pipelining | EhloExtensions.Size | EhloExtensions.EnhancedStatusCodes });
        CliResult result = await SendWithSecretAsync(sink, Message, null, "--tls", "none");

        Assert.Equal(5, result.ExitCode);
        Assert.Contains("the server's SIZE limit is 20", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, sink.Messages);
    }

    [Fact]
    public async Task NobodyListeningExitsThree()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        CliResult result = await CliProcess.RunAsync(Encoding.ASCII.GetBytes(Message),
            "send", "--server", $"127.0.0.1:{port}", "--tls", "none", "--from", "a@test", "--to", "b@test");

        Assert.Equal(3, result.ExitCode);
        Assert.Contains($"127.0.0.1:{port}", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUntrustedCertificateExitsThree()
    {
        await using SmtpSink sink = StartSink();
        CliResult result = await SendAsync(sink, Message);

        Assert.Equal(3, result.ExitCode);
        Assert.Equal(0, sink.Messages);
    }

    [Fact]
    public async Task TheMessageComesFromAFileAndTheTranscriptGoesToStderrWithTheSecretRedacted()
    {
        await using SmtpSink sink = StartSink();
        string file = Path.Combine(_directory, "message.eml");
        await File.WriteAllTextAsync(file, Message);
        CliResult result = await CliProcess.RunWithEnvironmentAsync(null, Secret("sink-secret"), "send", file, "--server", Server(sink), "--from", "<>", "--to", "b@test",
            "--user", "me@test", "--password-env", "SMTPCODEC_TEST_SECRET", "--auth", "PLAIN", "--trust-cert", CertificateFile(sink), "--transcript");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("C: MAIL FROM:<>", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("C: AUTH PLAIN <redacted>", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("* message content sent (not shown)\nC: .\n", result.Stderr.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.DoesNotContain("Hello from the command line.", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes("\0me@test\0sink-secret")), result.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, sink.Messages);
    }

    [Fact]
    public async Task UsageErrorsExitTwo()
    {
        CliResult missing = await CliProcess.RunAsync(null, "send", "--server", "127.0.0.1:25", "--to", "b@test");
        CliResult badServer = await CliProcess.RunAsync([], "send", "--server", "nowhere", "--tls", "none", "--from", "a@test", "--to", "b@test");
        CliResult badAuth = await CliProcess.RunAsync([], "send", "--server", "127.0.0.1:25", "--from", "a@test", "--to", "b@test", "--user", "u", "--password-env", "PATH", "--auth", "NTLM");
        CliResult help = await CliProcess.RunAsync(null, "send", "--help");

        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--from", missing.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, badServer.ExitCode);
        Assert.Contains("HOST:PORT", badServer.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, badAuth.ExitCode);
        Assert.Contains("--auth 'NTLM'", badAuth.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--password-env", help.StdoutText, StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Secret(string secret) => new() { ["SMTPCODEC_TEST_SECRET"] = secret };

    private static SmtpSink StartSink() => SmtpSink.Start(new SmtpSinkOptions
    {
        Extensions = EhloExtensions.Pipelining | EhloExtensions.Size | EhloExtensions.EnhancedStatusCodes | EhloExtensions.StartTls | EhloExtensions.Auth,
        AuthMechanisms = SaslMechanismFlags.Plain | SaslMechanismFlags.Login | SaslMechanismFlags.XOAuth2 | SaslMechanismFlags.OAuthBearer
            | SaslMechanismFlags.CramMd5 | SaslMechanismFlags.ScramSha256,
        Users = new Dictionary<string, string> { ["me@test"] = "sink-secret" },
    });

    private static string Server(SmtpSink sink) => $"127.0.0.1:{sink.EndPoint.Port}";

    private string CertificateFile(SmtpSink sink)
    {
        string path = Path.Combine(_directory, "sink.pem");
        File.WriteAllText(path, sink.Certificate!.ExportCertificatePem());
        return path;
    }

    private static Task<CliResult> SendAsync(SmtpSink sink, string message, params string[] extra) => SendWithSecretAsync(sink, message, "sink-secret", extra);

    private static Task<CliResult> SendWithSecretAsync(SmtpSink sink, string message, string? secret, params string[] extra)
    {
        string[] args = ["send", "--server", Server(sink), "--from", "a@test", "--to", "b@test", .. extra];
        return CliProcess.RunWithEnvironmentAsync(Encoding.ASCII.GetBytes(message), Secret(secret ?? ""), args);
    }
}
