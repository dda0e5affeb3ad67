using System.Text.Json;

namespace SmtpCodec.IntegrationTests.Interop;

/// <summary>
/// A server peer run from a script in tests/interop (aiosmtpd, Node smtp-server) that picks its own
/// loopback port and reports on stdout, one JSON object per line: <c>{"event":"listening","port":N}</c>
/// first, then an object per AUTH attempt and per message. One per test class (xunit class fixture).
/// </summary>
public abstract class ScriptedServerPeer : IAsyncLifetime
{
    private DirectoryInfo? _root;
    private PeerProcess? _process;

    public int Port { get; private set; }

    public const string User = "user@example.test";
    public const string Password = "pencil-9";

    protected abstract string Name { get; }

    /// <summary>The interpreter to run and its arguments before the common ones (--cert, --key, --user, --password).</summary>
    protected abstract (string FileName, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string?>? Environment) Command(string certificate, string key);

    public async Task InitializeAsync()
    {
        _root = InteropPeers.CreateTemporaryDirectory("smtpcodec-" + Name + "-");
        (string certificate, string key) = InteropPeers.WriteCertificate(_root);
        (string fileName, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? environment) = Command(certificate, key);
        _process = PeerProcess.Start(fileName, [.. arguments, "--cert", certificate, "--key", key, "--user", User, "--password", Password], InteropPeers.Directory, environment);
        string listening = await _process.WaitForLineAsync(l => l.Contains("\"listening\"", StringComparison.Ordinal), InteropPeers.StartTimeout, $"{Name} listening");
        using JsonDocument json = JsonDocument.Parse(listening);
        Port = json.RootElement.GetProperty("port").GetInt32();
    }

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        if (_root is not null)
        {
            InteropPeers.DeleteQuietly(_root);
        }
    }

    /// <summary>How many events of a kind the peer has reported so far (take it before a send, then wait for one more).</summary>
    public int Count(string kind) => Events(kind).Count;

    /// <summary>Waits until the peer has reported <paramref name="count"/> events of a kind; returns them all.</summary>
    public async Task<IReadOnlyList<JsonElement>> WaitForEventsAsync(string kind, int count)
    {
        string needle = $"\"{kind}\"";
        int seen = 0;
        await _process!.WaitForLineAsync(l => l.Contains(needle, StringComparison.Ordinal) && ++seen >= count, TimeSpan.FromSeconds(60), $"{Name}: {count} {kind} events");
        return Events(kind);
    }

    private List<JsonElement> Events(string kind)
    {
        var found = new List<JsonElement>();
        foreach (string line in _process!.Lines)
        {
            if (!line.StartsWith('{'))
            {
                continue;
            }

            using JsonDocument json = JsonDocument.Parse(line);
            if (json.RootElement.GetProperty("event").GetString() == kind)
            {
                found.Add(json.RootElement.Clone());
            }
        }

        return found;
    }
}

/// <summary>aiosmtpd (Debian's python3-aiosmtpd) from tests/interop/aiosmtpd-server.py: STARTTLS required, AUTH PLAIN and LOGIN.</summary>
public sealed class AiosmtpdPeer : ScriptedServerPeer
{
    // Debian's interpreter: the python3 first on PATH may be another one, without aiosmtpd.
    private const string Python = "/usr/bin/python3";

    protected override string Name => "aiosmtpd";

    protected override (string, IReadOnlyList<string>, IReadOnlyDictionary<string, string?>?) Command(string certificate, string key)
    {
        InteropPeers.Require(Python, "Debian's python3 (Debian package python3-aiosmtpd)");
        InteropPeers.Require("/usr/lib/python3/dist-packages/aiosmtpd/smtp.py", "aiosmtpd (Debian package python3-aiosmtpd)");
        var environment = new Dictionary<string, string?> { ["PYTHONPATH"] = null, ["PYTHONHOME"] = null, ["PYTHONUNBUFFERED"] = "1" };
        return (Python, [Path.Combine(InteropPeers.Directory, "aiosmtpd-server.py")], environment);
    }
}

/// <summary>Node's smtp-server (npm, tests/interop/node_modules) from tests/interop/node-smtp-server.js.</summary>
public sealed class NodeSmtpServerPeer : ScriptedServerPeer
{
    public const string Token = "ya29.interop-token";
    public const string RejectedRecipient = "rejected@example.test";
    public const long SizeLimit = 1_048_576;

    protected override string Name => "node-smtp-server";

    protected override (string, IReadOnlyList<string>, IReadOnlyDictionary<string, string?>?) Command(string certificate, string key)
    {
        string node = InteropPeers.RequireOnPath("node", "Node.js");
        InteropPeers.Require(Path.Combine(InteropPeers.Directory, "node_modules", "smtp-server", "package.json"), "the npm package smtp-server");
        return (node, [Path.Combine(InteropPeers.Directory, "node-smtp-server.js"), "--token", Token, "--reject", RejectedRecipient, "--size", SizeLimit.ToString(System.Globalization.CultureInfo.InvariantCulture)], null);
    }
}

/// <summary>Node smtp-server with a session limit: MAIL is refused with 452 4.5.3 after 5 messages in a session.</summary>
public sealed class NodeSmtpServerSessionLimitPeer : ScriptedServerPeer
{
    public const int MessagesPerSession = 5;

    protected override string Name => "node-smtp-server-session-limit";

    protected override (string, IReadOnlyList<string>, IReadOnlyDictionary<string, string?>?) Command(string certificate, string key)
    {
        string node = InteropPeers.RequireOnPath("node", "Node.js");
        InteropPeers.Require(Path.Combine(InteropPeers.Directory, "node_modules", "smtp-server", "package.json"), "the npm package smtp-server");
        return (node, [Path.Combine(InteropPeers.Directory, "node-smtp-server.js"), "--max-messages-per-session", MessagesPerSession.ToString(System.Globalization.CultureInfo.InvariantCulture)], null);
    }
}

/// <summary>Node smtp-server with implicit TLS on port 465 (the submissions port of RFC 8314; binding it needs root, as CI has).</summary>
public sealed class NodeSmtpServerImplicitTlsPeer : ScriptedServerPeer
{
    protected override string Name => "node-smtp-server-465";

    protected override (string, IReadOnlyList<string>, IReadOnlyDictionary<string, string?>?) Command(string certificate, string key)
    {
        string node = InteropPeers.RequireOnPath("node", "Node.js");
        InteropPeers.Require(Path.Combine(InteropPeers.Directory, "node_modules", "smtp-server", "package.json"), "the npm package smtp-server");
        return (node, [Path.Combine(InteropPeers.Directory, "node-smtp-server.js"), "--secure", "true", "--port", "465"], null);
    }
}
