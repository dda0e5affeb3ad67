using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using SmtpCodec.Protocol;
using SmtpCodec.Sink;

namespace SmtpCodec.IntegrationTests.Interop;

/// <summary>The embedded sink against real clients: swaks and openssl s_client.</summary>
[Collection(InteropTestGroup.Name)]
public sealed class SinkWithRealClientsInteropTests
{
    private const string User = "swaks@example.test";
    private const string Password = "correct horse";
    private const string Swaks = "/usr/bin/swaks";
    private const string OpenSsl = "/usr/bin/openssl";

    private static SmtpSink StartSink() => SmtpSink.Start(new SmtpSinkOptions
    {
        Extensions = new SmtpSinkOptions().Extensions | EhloExtensions.StartTls | EhloExtensions.Auth,
        Users = new Dictionary<string, string> { [User] = Password },
    });

    [Fact]
    public async Task SwaksSendsOverStartTlsWithAuthPlainAndTheSinkCountsTheMessage()
    {
        await using SmtpSink sink = StartSink();
        byte[] message = InteropMessages.Small("from swaks");
        using var data = new TemporaryFile(message);

        (int exit, string output) = await RunSwaksAsync(sink, "--tls", "--auth", "PLAIN", "--auth-user", User, "--auth-password", Password,
            "--to", "a@example.org,b@example.org", "--data", "@" + data.Path);

        Assert.True(exit == 0, $"swaks exited with {exit}\n{output}");
        Assert.Contains("=== TLS started with cipher", output, StringComparison.Ordinal);
        Assert.Contains("<~  235 ", output, StringComparison.Ordinal);
        Assert.Equal(1, sink.Messages);
        // swaks stuffed the dot lines and the sink unstuffed them; swaks ends its data with one more CRLF before the dot.
        Assert.Equal(message.Length + 2, sink.Bytes);
        Assert.Equal(0, sink.SessionFaults);
    }

    [Fact]
    public async Task SwaksPipelinesItsCommandsAndTheSinkAnswersEachInOrder()
    {
        await using SmtpSink sink = StartSink();
        byte[] message = InteropMessages.Small("pipelined by swaks");
        using var data = new TemporaryFile(message);

        (int exit, string output) = await RunSwaksAsync(sink, "--pipeline", "--tls", "--auth", "LOGIN", "--auth-user", User, "--auth-password", Password,
            "--to", "a@example.org,b@example.org,c@example.org", "--data", "@" + data.Path);

        Assert.True(exit == 0, $"swaks exited with {exit}\n{output}");
        string[] lines = output.Split('\n');        // stdout first: the order of the lines there is the order on the wire
        int data354 = Array.FindIndex(lines, l => l.StartsWith("<~  354", StringComparison.Ordinal));
        int dataCommand = Array.FindIndex(lines, l => l.StartsWith(" ~> DATA", StringComparison.Ordinal));
        int mailReply = Array.FindIndex(lines, l => l.StartsWith("<~  250 2.1.0", StringComparison.Ordinal));
        Assert.True(dataCommand >= 0 && mailReply > dataCommand && data354 > mailReply, $"MAIL, RCPT and DATA were not pipelined:\n{output}");
        Assert.Equal(3, lines.Count(l => l.StartsWith("<~  250 2.1.5", StringComparison.Ordinal)));
        Assert.Equal(1, sink.Messages);
        Assert.Equal(message.Length + 2, sink.Bytes);
    }

    [Fact]
    public async Task SwaksWithAWrongPasswordGets535AndNothingIsCounted()
    {
        await using SmtpSink sink = StartSink();

        (int exit, string output) = await RunSwaksAsync(sink, "--tls", "--auth", "PLAIN", "--auth-user", User, "--auth-password", "wrong", "--to", "a@example.org");

        Assert.True(exit == 28, $"swaks exited with {exit}, not 28 (error in AUTH)\n{output}");
        Assert.Contains("<~* 535 ", output, StringComparison.Ordinal);
        Assert.Equal(0, sink.Messages);
    }

    [Fact]
    public async Task OpenSslStartTlsHandshakeSucceedsAndCommandsTypedAfterItAreAnswered()
    {
        await using SmtpSink sink = StartSink();

        (_, IReadOnlyList<string> lines, string output) = await RunOpenSslAsync(sink, "EHLO openssl.interop.test\nNOOP\nQUIT\n");

        // The certificate s_client saw is the sink's, and the handshake finished.
        string pem = string.Join('\n', lines.SkipWhile(l => l != "-----BEGIN CERTIFICATE-----").TakeWhile(l => l != "-----END CERTIFICATE-----")) + "\n-----END CERTIFICATE-----";
        using X509Certificate2 seen = X509Certificate2.CreateFromPem(pem);
        Assert.Equal(sink.Certificate!.RawData, seen.RawData);
        Assert.Contains(lines, l => l.StartsWith("New, TLSv1.3, Cipher is ", StringComparison.Ordinal));
        // Typed after the handshake, answered inside TLS: AUTH is offered only there.
        Assert.True(lines.Contains("250-AUTH PLAIN LOGIN"), output);
        Assert.Contains(lines, l => l.StartsWith("250 2.0.0", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("221 ", StringComparison.Ordinal));
        Assert.Equal(1, sink.Connections);
        Assert.Equal(0, sink.SessionFaults);
    }

    /// <summary>
    /// After 221 the sink ends a TLS session with a close_notify alert (RFC 8446 section 6.1) before its FIN;
    /// without it OpenSSL 3 reports "unexpected eof while reading" and exits 1.
    /// </summary>
    [Fact]
    public async Task TheSinkEndsATlsSessionWithCloseNotify()
    {
        await using SmtpSink sink = StartSink();

        (int exit, _, string output) = await RunOpenSslAsync(sink, "QUIT\n");

        Assert.DoesNotContain("unexpected eof while reading", output, StringComparison.Ordinal);
        Assert.True(exit == 0, $"openssl s_client exited with {exit}\n{output}");
    }

    private static async Task<(int Exit, IReadOnlyList<string> Stdout, string Output)> RunOpenSslAsync(SmtpSink sink, string typed)
    {
        InteropPeers.Require(OpenSsl, "openssl (Debian package openssl)");
        await using PeerProcess openssl = PeerProcess.Start(OpenSsl,
            ["s_client", "-starttls", "smtp", "-connect", $"127.0.0.1:{sink.EndPoint.Port.ToString(CultureInfo.InvariantCulture)}",
             "-servername", "localhost", "-crlf", "-ign_eof", "-nocommands"]);
        await openssl.WriteInputAsync(typed);
        int exit = await openssl.CloseInputAndWaitAsync(InteropPeers.TestTimeout);
        return (exit, openssl.Lines, openssl.Output);
    }

    private static async Task<(int Exit, string Output)> RunSwaksAsync(SmtpSink sink, params string[] arguments)
    {
        InteropPeers.Require(Swaks, "swaks (Debian package swaks)");
        await using PeerProcess swaks = PeerProcess.Start(Swaks,
            ["--server", $"127.0.0.1:{sink.EndPoint.Port.ToString(CultureInfo.InvariantCulture)}", "--ehlo", "swaks.interop.test",
             "--from", "sender@example.com", "--timeout", "60", .. arguments]);
        int exit = await swaks.CloseInputAndWaitAsync(InteropPeers.TestTimeout);
        return (exit, swaks.Output);     // the transcript on stdout, errors ("<~*" lines) on stderr
    }

    private sealed class TemporaryFile : IDisposable
    {
        public TemporaryFile(byte[] content)
        {
            Path = System.IO.Path.GetTempFileName();
            File.WriteAllBytes(Path, content);
        }

        public string Path { get; }

        public void Dispose() => File.Delete(Path);
    }
}
