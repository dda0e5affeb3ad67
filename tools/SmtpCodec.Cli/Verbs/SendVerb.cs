using System.CommandLine;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SmtpCodec.Client;
using SmtpCodec.Commands;
using SmtpCodec.Protocol;

namespace SmtpCodec.Cli.Verbs;

/// <summary>
/// <c>smtpcodec send [FILE]</c>: one message to one server, as docs/architecture.md ("The smtpcodec command") defines it. The server's
/// final reply goes to stdout; errors (one clear line) and the transcript go to stderr. Exit codes:
/// 0 every recipient accepted, 2 usage (bad options or addresses: nothing is sent), 3 connect or TLS
/// failure, 4 some recipients refused (the others have it), 5 message refused, 1 anything else.
/// </summary>
internal static class SendVerb
{
    public const int ConnectFailed = 3;
    public const int SomeRecipientsRefused = 4;
    public const int MessageRefused = 5;

    public static Command Create()
    {
        var file = new Argument<string?>("FILE") { Description = "The message (headers and body); stdin when absent or '-'.", Arity = ArgumentArity.ZeroOrOne };
        var server = new Option<string>("--server") { Description = "HOST:PORT of the server (587 submission, 465 implicit TLS, 25).", Required = true };
        var tls = new Option<string?>("--tls") { Description = "none | starttls | implicit. Default: implicit on port 465, else starttls (required)." };
        tls.AcceptOnlyFromAmong("none", "starttls", "implicit");
        var from = new Option<string>("--from") { Description = "The reverse path as a bare address; '<>' for the null reverse path.", Required = true };
        var to = new Option<string[]>("--to") { Description = "A recipient (repeat for more).", Required = true, AllowMultipleArgumentsPerToken = false };
        var login = new CredentialOptions();
        Option<string?> user = login.User, passwordEnv = login.PasswordEnv, auth = login.Auth;
        var trustCert = new Option<string?>("--trust-cert") { Description = "A PEM certificate to trust as the server's (pinned)." };
        var insecure = new Option<bool>("--insecure") { Description = "Skip certificate validation (tests only)." };
        var ehlo = new Option<string?>("--ehlo") { Description = "The EHLO name. Default: this machine's FQDN, else an address literal." };
        var transcript = new Option<bool>("--transcript") { Description = "Print the session on stderr (AUTH secrets redacted, message content left out)." };
        var body = new Option<string>("--body")
        {
            Description = "auto | 7bit | 8bitmime | binarymime: the BODY declared with MAIL. auto reads FILE or stdin through once and declares 8BITMIME when it has 8-bit bytes (stdin is kept in a temporary file meanwhile).",
            DefaultValueFactory = _ => "auto",
        };
        body.AcceptOnlyFromAmong("auto", "7bit", "8bitmime", "binarymime");
        var defaults = new SmtpTimeouts();
        var timeout = new Option<int?>("--timeout")
        {
            Description = "Caps every phase at SECONDS. Defaults (RFC 5321 section 4.5.3.2), in seconds: " +
                FormattableString.Invariant($"connect {defaults.Connect.TotalSeconds}, greeting {defaults.Greeting.TotalSeconds}, other commands {defaults.Command.TotalSeconds}, ") +
                FormattableString.Invariant($"MAIL and RCPT {defaults.MailRcpt.TotalSeconds}, DATA {defaults.Data.TotalSeconds}, each data block {defaults.DataBlock.TotalSeconds}, end of data {defaults.EndOfData.TotalSeconds}."),
            HelpName = "SECONDS",
        };
        var command = new Command("send", "Send one message to an SMTP server.")
        {
            file, server, tls, from, to, user, passwordEnv, auth, trustCert, insecure, ehlo, transcript, timeout, body,
        };
        command.SetAction((parse, cancellation) => RunAsync(new Request(
            parse.GetValue(file), parse.GetValue(server)!, parse.GetValue(tls), parse.GetValue(from)!, parse.GetValue(to)!,
            parse.GetValue(user), parse.GetValue(passwordEnv), parse.GetValue(auth), parse.GetValue(trustCert),
            parse.GetValue(insecure), parse.GetValue(ehlo), parse.GetValue(transcript), parse.GetValue(timeout), parse.GetValue(body)!), cancellation));
        return command;
    }

    private sealed record Request(
        string? File, string Server, string? Tls, string From, string[] To, string? User, string? PasswordEnv, string? Auth,
        string? TrustCert, bool Insecure, string? Ehlo, bool Transcript, int? Timeout, string Body);

    private static async Task<int> RunAsync(Request request, CancellationToken cancellationToken)
    {
        if (!TryPrepare(request, out string host, out int port, out SmtpConnectionOptions? options, out string from, out string? problem))
        {
            await Console.Error.WriteLineAsync($"smtpcodec send: {problem}");
            return Program.UsageExitCode;
        }

        await using Stream? input = InputFile.Open(request.File, "send");
        if (input is null)
        {
            return Program.UsageExitCode;
        }

        // auto: the connection scans a seekable input before MAIL; stdin is made seekable by a temporary file.
        await using Stream message = request.Body == "auto" && !input.CanSeek ? await SpoolAsync(input, cancellationToken) : input;
        BodyType declared = request.Body switch
        {
            "7bit" => BodyType.SevenBit,
            "8bitmime" => BodyType.EightBitMime,
            "binarymime" => BodyType.BinaryMime,
            _ => BodyType.None,
        };

        SmtpConnection connection;
        try
        {
            connection = await SmtpConnection.ConnectAsync(host, port, options, cancellationToken);
        }
        catch (SmtpException e) when (e.Phase is SmtpPhase.Connect or SmtpPhase.Greeting or SmtpPhase.StartTls || e.InnerException is AuthenticationException or SocketException)
        {
            await Console.Error.WriteLineAsync($"smtpcodec send: {e.Message}");
            return ConnectFailed;
        }
        catch (Exception e) when (e is SmtpException or AuthenticationException or IOException)
        {
            await Console.Error.WriteLineAsync($"smtpcodec send: {e.Message}");
            return e is AuthenticationException or IOException ? ConnectFailed : 1;
        }

        await using (connection)
        {
            try
            {
                SmtpSendResult result = await connection.SendAsync(new SmtpEnvelope(from, request.To) { Body = declared }, message, cancellationToken);
                Console.WriteLine(result.Reply.ToString());
                try
                {
                    await connection.QuitAsync(cancellationToken);
                }
                catch (Exception e) when (e is SmtpException or IOException)
                {
                    // The server accepted the message: how the session ends changes nothing for it, and a failure
                    // here must not make a script send it again.
                    await Console.Error.WriteLineAsync($"smtpcodec send: warning: the message was accepted; the session did not end cleanly: {e.Message}");
                }
                if (result.DeliveredCount == result.Recipients.Count)
                {
                    return 0;
                }

                foreach (SmtpRecipientResult refused in result.Recipients.Where(r => !r.Delivered))
                {
                    await Console.Error.WriteLineAsync($"smtpcodec send: {refused.Address} refused: {refused.Reply}");
                }

                return SomeRecipientsRefused;
            }
            catch (SmtpReplyException e) when (e.Phase is SmtpPhase.Mail or SmtpPhase.Rcpt or SmtpPhase.Data or SmtpPhase.EndOfData)
            {
                Console.WriteLine(e.Reply.ToString());
                await Console.Error.WriteLineAsync($"smtpcodec send: {e.Message}");
                return MessageRefused;
            }
            catch (SmtpException e) when (e.Phase == SmtpPhase.DataBlock && !e.IsTransient && !e.MayHaveBeenDelivered && !connection.IsConnected && e.InnerException is null)
            {
                // 8-bit bytes under a BODY that declared none, found while sending: stopped before the end of data.
                await Console.Error.WriteLineAsync($"smtpcodec send: the message has 8-bit bytes and --body {request.Body} declared none: use --body 8bitmime or auto; nothing was delivered.");
                return MessageRefused;
            }
            catch (SmtpException e) when (!e.IsTransient && e.Phase is SmtpPhase.Mail or SmtpPhase.Rcpt or SmtpPhase.Data)
            {
                // Refused by what the server declared (its SIZE limit, an extension it lacks) before a byte went out.
                await Console.Error.WriteLineAsync($"smtpcodec send: {e.Message}");
                return MessageRefused;
            }
            catch (SmtpException e)
            {
                string caution = e.MayHaveBeenDelivered ? " The message may have been delivered: do not send it again without checking." : "";
                await Console.Error.WriteLineAsync($"smtpcodec send: {e.Message}{caution}");
                return 1;
            }
        }
    }

    /// <summary>Checks every option and address before anything is sent; false with one clear sentence.</summary>
    private static bool TryPrepare(Request request, out string host, out int port, out SmtpConnectionOptions? options, out string from, out string? problem)
    {
        options = null;
        from = request.From == "<>" ? "" : request.From;
        port = 0;
        if (!HostPort.TryParse("--server", request.Server, 1, out host, out port, out problem))
        {
            return false;
        }

        // The codec's own command writer checks each address exactly as the connection will write it.
        var scratch = new System.Buffers.ArrayBufferWriter<byte>(256);
        CommandWriteResult check = SmtpCommandWriter.WriteMailFrom(scratch, from, new MailFromParameters { SmtpUtf8 = !System.Text.Ascii.IsValid(from) });
        string checkedAddress = from;
        foreach (string address in request.To)
        {
            if (!check.Succeeded)
            {
                break;
            }

            checkedAddress = address;
            check = SmtpCommandWriter.WriteRcptTo(scratch, address, new RcptToParameters { SmtpUtf8 = !System.Text.Ascii.IsValid(address) });
        }

        if (!check.Succeeded)
        {
            problem = $"'{Printable(checkedAddress)}' is not a valid address ({SmtpCodecErrors.GetMessage(check.Error)}); nothing was sent.";
            return false;
        }

        SmtpTlsMode mode = (request.Tls ?? (port == 465 ? "implicit" : "starttls")) switch
        {
            "none" => SmtpTlsMode.None,
            "implicit" => SmtpTlsMode.Implicit,
            _ => SmtpTlsMode.StartTlsRequired,
        };

        if (!CredentialOptions.TryCreate(request.User, request.PasswordEnv, request.Auth, out SmtpCredentials? credentials, out problem))
        {
            return false;
        }

        if (request.TrustCert is not null && request.Insecure)
        {
            problem = "--trust-cert and --insecure exclude each other.";
            return false;
        }

        X509Certificate2? pinned = null;
        if (request.TrustCert is not null)
        {
            try
            {
                pinned = X509CertificateLoader.LoadCertificateFromFile(request.TrustCert);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                problem = $"--trust-cert '{request.TrustCert}' cannot be read as a PEM certificate: {e.Message}";
                return false;
            }
        }

        if (request.Timeout is < 1 or > 86_400)
        {
            problem = FormattableString.Invariant($"--timeout {request.Timeout} is out of range: give whole seconds from 1 to 86400.");
            return false;
        }

        options = new SmtpConnectionOptions
        {
            Timeouts = request.Timeout is { } seconds ? Capped(TimeSpan.FromSeconds(seconds)) : new SmtpTimeouts(),
            TlsMode = mode,
            Tls = new SmtpTlsOptions { TargetHost = host, PinnedCertificate = pinned, SkipCertificateValidation = request.Insecure },
            Credentials = credentials,
            EhloName = request.Ehlo,
            Transcript = request.Transcript ? line => Console.Error.WriteLine(line.ToString()) : null,
        };
        problem = null;
        return true;
    }

    /// <summary>Copies a one-pass input (stdin) into a temporary file, deleted on close, so that it can be scanned and sent.</summary>
    private static async Task<Stream> SpoolAsync(Stream input, CancellationToken cancellationToken)
    {
        var spool = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        await input.CopyToAsync(spool, cancellationToken);
        spool.Position = 0;
        return spool;
    }

    /// <summary>Every phase's timeout, capped.</summary>
    private static SmtpTimeouts Capped(TimeSpan cap)
    {
        var body = new Option<string>("--body")
        {
            Description = "auto | 7bit | 8bitmime | binarymime: the BODY declared with MAIL. auto reads FILE or stdin through once and declares 8BITMIME when it has 8-bit bytes (stdin is kept in a temporary file meanwhile).",
            DefaultValueFactory = _ => "auto",
        };
        body.AcceptOnlyFromAmong("auto", "7bit", "8bitmime", "binarymime");
        var defaults = new SmtpTimeouts();
        TimeSpan Cap(TimeSpan value) => value < cap ? value : cap;
        return new SmtpTimeouts
        {
            Connect = Cap(defaults.Connect),
            Greeting = Cap(defaults.Greeting),
            Command = Cap(defaults.Command),
            MailRcpt = Cap(defaults.MailRcpt),
            Data = Cap(defaults.Data),
            DataBlock = Cap(defaults.DataBlock),
            EndOfData = Cap(defaults.EndOfData),
        };
    }

    /// <summary>An address as it can be shown on one line: control characters as \r, \n, \xNN.</summary>
    private static string Printable(string text)
    {
        var shown = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            shown.Append(c switch
            {
                '\r' => "\\r",
                '\n' => "\\n",
                < ' ' or '\x7f' => $"\\x{(int)c:X2}",
                _ => c.ToString(),
            });
        }

        return shown.ToString();
    }
}
