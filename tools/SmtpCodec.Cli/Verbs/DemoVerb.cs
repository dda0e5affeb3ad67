using System.CommandLine;
using System.Text;
using SmtpCodec.Client;
using SmtpCodec.Protocol;
using SmtpCodec.Sink;

namespace SmtpCodec.Cli.Verbs;

/// <summary>
/// <c>smtpcodec demo</c>: starts the embedded sink on loopback and replays the seed article's session
/// through the client against the sink's <c>article</c> profile, lock-step and with the article's sample credential shown, printing a C:/S:
/// transcript: greeting, EHLO, STARTTLS, EHLO again, AUTH PLAIN with its bare 334, MAIL, RCPT, DATA, QUIT.
/// </summary>
internal static class DemoVerb
{
    private const string User = "you@icloud.com";
    private const string Password = "email-me-your-favorite-color";

    public static Command Create()
    {
        var command = new Command("demo", "Replay the seed article's SMTP session against the embedded sink on loopback, printing a C:/S: transcript.");
        command.SetAction((_, cancellation) => RunAsync(cancellation));
        return command;
    }

    private static async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        // The article's iCloud capability list, in its order, as far as the sink implements it.
        await using SmtpSink sink = SmtpSink.Start(SmtpSinkOptions.Article with
        {
            Users = new Dictionary<string, string> { [User] = Password },
        });
        Console.WriteLine($"* the embedded sink listens on {sink.EndPoint}");
        var options = new SmtpConnectionOptions
        {
            EhloName = "client.local",
            TlsMode = SmtpTlsMode.StartTlsRequired,
            Tls = new SmtpTlsOptions { TargetHost = "localhost", PinnedCertificate = sink.Certificate },
            Credentials = new SmtpCredentials(User, Password, SaslMechanism.Plain),
            SendInitialResponseWithAuth = false,
            ShowSecretsInTranscript = true,
            UsePipelining = false,
            TranscriptIncludesContent = true,
            Transcript = line => Console.WriteLine(line.ToString()),
        };

        byte[] message = Encoding.UTF8.GetBytes(
            "From: \"You\" <you@icloud.com>\r\nTo: \"Friend\" <friend@gmail.com>\r\n\r\nThis is an extremely important message.\r\n");
        try
        {
            await using SmtpConnection connection = await SmtpConnection.ConnectAsync("127.0.0.1", sink.EndPoint.Port, options, cancellationToken);
            await connection.SendAsync(new SmtpEnvelope(User, "friend@gmail.com"), message, cancellationToken);
            await connection.QuitAsync(cancellationToken);
            return 0;
        }
        catch (SmtpException e)
        {
            await Console.Error.WriteLineAsync($"smtpcodec demo: {e.Message}");
            return 1;
        }
    }
}
