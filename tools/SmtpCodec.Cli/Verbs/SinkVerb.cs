using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using SmtpCodec.Protocol;
using SmtpCodec.Sink;

namespace SmtpCodec.Cli.Verbs;

/// <summary>
/// <c>smtpcodec sink</c>: the embedded receiver as a standalone server (docs/architecture.md, "The smtpcodec command"). It prints
/// <c>listening on HOST:PORT</c> on stdout once it listens, runs until SIGINT (Ctrl+C) or SIGTERM, then
/// stops its sessions and writes <c>--stats</c>.
/// </summary>
internal static class SinkVerb
{
    private const string DefaultListen = "127.0.0.1:2525";

    public static Command Create()
    {
        var listen = new Option<IPEndPoint>("--listen")
        {
            Description = $"Where to listen, HOST:PORT with an IP address or localhost ([::1]:PORT for IPv6); port 0 picks a free one.",
            HelpName = "HOST:PORT",
            DefaultValueFactory = _ => IPEndPoint.Parse(DefaultListen),
            CustomParser = ParseListen,
        };
        var tls = new Option<bool>("--tls") { Description = "Offer STARTTLS (AUTH is then offered only after it). The article profile offers it anyway." };
        var cert = new Option<string?>("--cert") { Description = "The STARTTLS certificate, a PEM file (default: self-signed, made in memory).", HelpName = "PEM" };
        var key = new Option<string?>("--key") { Description = "The certificate's private key, a PEM file (default: after the certificate in --cert).", HelpName = "PEM" };
        var users = new Option<string[]>("--user")
        {
            Description = "A user AUTH accepts, NAME:SECRET (repeatable); the secret is the password, or the access token for XOAUTH2 and OAUTHBEARER.",
            HelpName = "NAME:SECRET",
            Arity = ArgumentArity.ZeroOrMore,
        };
        users.Validators.Add(result =>
        {
            foreach (Token token in result.Tokens)
            {
                if (token.Value.IndexOf(':', StringComparison.Ordinal) <= 0)
                {
                    result.AddError($"--user '{token.Value}': expected NAME:SECRET.");
                }
            }
        });
        var requireAuth = new Option<bool>("--require-auth")
        {
            Description = "Answer MAIL with 530 5.7.0 until AUTH succeeds, as a submission server does (needs --user).",
        };
        var auth = new Option<SaslMechanismFlags>("--auth")
        {
            Description = "The SASL mechanisms offered (repeatable or comma-separated): PLAIN, LOGIN, XOAUTH2, OAUTHBEARER, CRAM-MD5, SCRAM-SHA-256. "
                + "Default: all of them (the article profile: LOGIN PLAIN XOAUTH2). AUTH is offered when a --user is given.",
            HelpName = "MECH",
            Arity = ArgumentArity.ZeroOrMore,
            CustomParser = ParseMechanisms,
        };
        var chunking = new Option<string?>("--chunking") { Description = "Offer CHUNKING (BDAT). Default: on, off in the article profile.", HelpName = "on|off" };
        chunking.AcceptOnlyFromAmong("on", "off");
        var profile = new Option<string>("--profile")
        {
            Description = "default (the tables' order) or article (the seed article's iCloud EHLO list, as far as the sink implements it).",
            HelpName = "default|article",
            DefaultValueFactory = _ => "default",
        };
        profile.AcceptOnlyFromAmong("default", "article");
        var replyDelay = NonNegative(new Option<int>("--reply-delay-ms")
        {
            Description = "Each reply leaves N ms after its command arrived, as over a WAN (pipelined replies leave together).",
            HelpName = "N",
        });
        var store = new Option<string?>("--store") { Description = "Keep each accepted message, unstuffed, as DIR/QUEUEID.eml.", HelpName = "DIR" };
        var maxMessageSize = Positive(new Option<long?>("--max-message-size") { Description = "The SIZE limit in bytes; larger messages get 552.", HelpName = "BYTES" });
        var maxConnections = Positive(new Option<int?>("--max-connections") { Description = "Connections served at once; more get 421. Default 256.", HelpName = "N" });
        var commandTimeout = Positive(new Option<int?>("--command-timeout")
        {
            Description = "Seconds the sink waits for each command line (and each 64 KiB of message content) before 421 4.4.2 and closing. Default 300.",
            HelpName = "SECONDS",
        });
        var handshakeTimeout = Positive(new Option<int?>("--handshake-timeout")
        {
            Description = "Seconds a TLS handshake after STARTTLS may take before the connection closes. Default 30.",
            HelpName = "SECONDS",
        });
        var maxRecipients = Positive(new Option<int?>("--max-recipients") { Description = "Recipients per message; more get 452. Default 1000.", HelpName = "N" });
        var stats = new Option<string?>("--stats")
        {
            Description = "Write counters as JSON to FILE (at start, and again on exit): messages, bytes, connections, refusedConnections, sessionFaults, faults, seconds.",
            HelpName = "FILE",
        };
        FaultOptions faults = FaultOptions.Create();

        var command = new Command(
            "sink",
            "Run the embedded SMTP receiver until SIGINT (Ctrl+C) or SIGTERM. Prints 'listening on HOST:PORT' on stdout once it listens.")
        {
            listen, tls, cert, key, users, requireAuth, auth, chunking, profile, replyDelay, store, maxMessageSize, maxConnections, maxRecipients,
            commandTimeout, handshakeTimeout, stats,
        };
        faults.AddTo(command);
        command.SetAction(async (parsed, cancellation) =>
        {
            SmtpSinkOptions baseOptions = parsed.GetValue(profile) == "article" ? SmtpSinkOptions.Article : new SmtpSinkOptions();
            var settings = new Settings(
                parsed.GetValue(listen)!,
                parsed.GetValue(tls),
                parsed.GetValue(cert),
                parsed.GetValue(key),
                parsed.GetValue(users) ?? [],
                parsed.GetValue(requireAuth),
                parsed.GetResult(auth) is null ? null : parsed.GetValue(auth),
                parsed.GetValue(chunking),
                parsed.GetValue(replyDelay),
                parsed.GetValue(store),
                parsed.GetValue(maxMessageSize),
                parsed.GetValue(maxConnections),
                parsed.GetValue(maxRecipients),
                parsed.GetValue(commandTimeout),
                parsed.GetValue(handshakeTimeout),
                parsed.GetValue(stats));
            return await RunAsync(faults.ApplyTo(baseOptions, parsed), settings, cancellation);
        });
        return command;
    }

    private static async Task<int> RunAsync(SmtpSinkOptions options, Settings settings, CancellationToken cancellation)
    {
        SmtpSink sink;
        try
        {
            sink = SmtpSink.Start(Configure(options, settings));
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"smtpcodec sink: {e.Message}");
            return Program.UsageExitCode;
        }
        catch (SocketException e)
        {
            await Console.Error.WriteLineAsync($"smtpcodec sink: cannot listen on {settings.Listen}: {e.Message}");
            return 1;
        }

        long started = Stopwatch.GetTimestamp();
        await using (sink)
        {
            if (settings.Stats is not null && !TryWriteStats(sink, settings.Stats, started))
            {
                return Program.UsageExitCode;
            }

            // Scripts wait for this line; it is the only thing on stdout.
            await Console.Out.WriteLineAsync($"listening on {sink.EndPoint}");
            await Console.Out.FlushAsync(cancellation);
            await Console.Error.WriteLineAsync($"smtpcodec sink: {Describe(sink, options, settings)}; SIGINT (Ctrl+C) or SIGTERM stops it.");
            try
            {
                // System.CommandLine turns SIGINT and SIGTERM into this cancellation and waits for the action to end.
                await Task.Delay(Timeout.Infinite, cancellation);
            }
            catch (OperationCanceledException)
            {
            }
        }

        // Disposing stopped the listener and every session: the counters are final.
        if (settings.Stats is not null && !TryWriteStats(sink, settings.Stats, started))
        {
            return 1;
        }

        await Console.Error.WriteLineAsync(
            $"smtpcodec sink: stopped; {sink.Messages} messages ({sink.Bytes} bytes) over {sink.Connections} connections.");
        return 0;
    }

    private static SmtpSinkOptions Configure(SmtpSinkOptions options, Settings settings)
    {
        EhloExtensions extensions = options.Extensions;
        if (settings.Tls)
        {
            extensions |= EhloExtensions.StartTls;
        }

        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string user in settings.Users)
        {
            int colon = user.IndexOf(':', StringComparison.Ordinal);
            users[user[..colon]] = user[(colon + 1)..];
        }

        SaslMechanismFlags mechanisms = options.AuthMechanisms;
        if (options.Profile == SmtpSinkProfile.Default)
        {
            mechanisms = SaslMechanismFlags.Plain | SaslMechanismFlags.Login | SaslMechanismFlags.XOAuth2 | SaslMechanismFlags.OAuthBearer
                | SaslMechanismFlags.CramMd5 | SaslMechanismFlags.ScramSha256;
            if (users.Count > 0)
            {
                extensions |= EhloExtensions.Auth;
            }
        }

        mechanisms = settings.Mechanisms ?? mechanisms;
        extensions = settings.Chunking switch
        {
            "on" => extensions | EhloExtensions.Chunking,
            "off" => extensions & ~EhloExtensions.Chunking,
            _ => extensions,
        };

        X509Certificate2? certificate = null;
        if (settings.CertificatePath is not null)
        {
            certificate = SmtpSink.LoadCertificateFromPem(settings.CertificatePath, settings.KeyPath);
            extensions |= EhloExtensions.StartTls;
        }
        else if (settings.KeyPath is not null)
        {
            throw new ArgumentException("--key needs --cert.");
        }

        if (settings.RequireAuthentication && users.Count == 0)
        {
            throw new ArgumentException("--require-auth needs at least one --user.");
        }

        return options with
        {
            Listen = settings.Listen,
            Extensions = extensions,
            Users = users,
            RequireAuthentication = settings.RequireAuthentication,
            AuthMechanisms = mechanisms,
            Certificate = certificate,
            ReplyDelay = TimeSpan.FromMilliseconds(settings.ReplyDelayMilliseconds),
            StoreDirectory = settings.Store,
            MaxMessageSize = settings.MaxMessageSize ?? options.MaxMessageSize,
            MaxConnections = settings.MaxConnections ?? options.MaxConnections,
            MaxRecipients = settings.MaxRecipients ?? options.MaxRecipients,
            CommandTimeout = settings.CommandTimeoutSeconds is int command ? TimeSpan.FromSeconds(command) : options.CommandTimeout,
            HandshakeTimeout = settings.HandshakeTimeoutSeconds is int handshake ? TimeSpan.FromSeconds(handshake) : options.HandshakeTimeout,
        };
    }

    private static string Describe(SmtpSink sink, SmtpSinkOptions options, Settings settings)
    {
        var parts = new List<string>();
        if (sink.Certificate is not null)
        {
            parts.Add(settings.CertificatePath is null ? $"STARTTLS with a self-signed certificate for {options.ServerName}" : $"STARTTLS with {settings.CertificatePath}");
        }

        if (settings.Users.Length > 0)
        {
            parts.Add($"{settings.Users.Length} user(s)");
        }

        if (options.Faults.Count > 0)
        {
            parts.Add($"faults {string.Join(' ', options.Faults)}{(options.FaultSeed is int seed ? $" (seed {seed})" : "")}");
        }

        if (sink.StoreDirectory is not null)
        {
            parts.Add($"storing in {sink.StoreDirectory}");
        }

        return parts.Count == 0 ? "running" : string.Join("; ", parts);
    }

    /// <summary>Writes the counters as one JSON object; false (with a line on stderr) when the file cannot be written.</summary>
    private static bool TryWriteStats(SmtpSink sink, string path, long started)
    {
        try
        {
            using FileStream file = File.Create(path);
            using var json = new Utf8JsonWriter(file);
            json.WriteStartObject();
            json.WriteNumber("messages", sink.Messages);
            json.WriteNumber("bytes", sink.Bytes);
            json.WriteNumber("connections", sink.Connections);
            json.WriteNumber("refusedConnections", sink.RefusedConnections);
            json.WriteNumber("sessionFaults", sink.SessionFaults);
            json.WriteStartObject("faults");
            json.WriteNumber("4xx", sink.GetInjectedFaults(SmtpSinkFaultKind.TransientReply));
            json.WriteNumber("5xx", sink.GetInjectedFaults(SmtpSinkFaultKind.PermanentReply));
            json.WriteNumber("421", sink.GetInjectedFaults(SmtpSinkFaultKind.ShutDown));
            json.WriteNumber("drop", sink.GetInjectedFaults(SmtpSinkFaultKind.Drop));
            json.WriteNumber("delay", sink.GetInjectedFaults(SmtpSinkFaultKind.Delay));
            json.WriteEndObject();
            json.WriteNumber("seconds", Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 3));
            json.WriteEndObject();
            json.Flush();
            file.Write("\n"u8);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"smtpcodec sink: cannot write the stats to '{path}': {e.Message}");
            return false;
        }
    }

    private static IPEndPoint? ParseListen(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : DefaultListen;

        // Port 0 asks the system for a free port.
        if (!HostPort.TryParse("--listen", text, 0, out string host, out int port, out string? problem))
        {
            result.AddError(problem);
            return null;
        }

        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        if (IPAddress.TryParse(host, out IPAddress? address))
        {
            return new IPEndPoint(address, port);
        }

        result.AddError($"--listen '{text}': '{host}' is not an IP address or localhost, e.g. 127.0.0.1:2525 or [::1]:0.");
        return null;
    }

    private static SaslMechanismFlags ParseMechanisms(ArgumentResult result)
    {
        SaslMechanismFlags mechanisms = 0;
        bool unknown = false;
        foreach (Token token in result.Tokens)
        {
            foreach (string name in token.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                // Known names pass here; the sink itself refuses one it does not implement, naming it.
                if (SaslMechanismNames.TryParse(System.Text.Encoding.ASCII.GetBytes(name), out SaslMechanism mechanism))
                {
                    mechanisms |= SaslMechanismNames.ToFlag(mechanism);
                }
                else
                {
                    unknown = true;
                    result.AddError($"--auth '{name}': not a SASL mechanism; the sink implements PLAIN, LOGIN, XOAUTH2, OAUTHBEARER, CRAM-MD5 and SCRAM-SHA-256.");
                }
            }
        }

        if (mechanisms == 0 && result.Tokens.Count > 0 && !unknown)
        {
            result.AddError("--auth: name at least one mechanism.");
        }

        return mechanisms;
    }

    private static Option<T> NonNegative<T>(Option<T> option)
        where T : struct, IComparable<T>, IParsable<T>
    {
        option.Validators.Add(result =>
        {
            if (Given<T>(result) is T value && value.CompareTo(default) < 0)
            {
                result.AddError($"{option.Name} must be 0 or more.");
            }
        });
        return option;
    }

    private static Option<T?> Positive<T>(Option<T?> option)
        where T : struct, IComparable<T>, IParsable<T>
    {
        option.Validators.Add(result =>
        {
            if (Given<T>(result) is T value && value.CompareTo(default) <= 0)
            {
                result.AddError($"{option.Name} must be at least 1.");
            }
        });
        return option;
    }

    /// <summary>
    /// The value given, or null when none was or it is not a number: System.CommandLine reports that itself, and
    /// asking it for the value here would throw instead.
    /// </summary>
    private static T? Given<T>(OptionResult result)
        where T : struct, IParsable<T> =>
        result.Tokens.Count > 0 && T.TryParse(result.Tokens[^1].Value, System.Globalization.CultureInfo.InvariantCulture, out T value) ? value : null;

    private sealed record Settings(
        IPEndPoint Listen,
        bool Tls,
        string? CertificatePath,
        string? KeyPath,
        string[] Users,
        bool RequireAuthentication,
        SaslMechanismFlags? Mechanisms,
        string? Chunking,
        int ReplyDelayMilliseconds,
        string? Store,
        long? MaxMessageSize,
        int? MaxConnections,
        int? MaxRecipients,
        int? CommandTimeoutSeconds,
        int? HandshakeTimeoutSeconds,
        string? Stats);
}
