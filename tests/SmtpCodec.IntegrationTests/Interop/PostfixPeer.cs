using System.Globalization;
using System.Text;

namespace SmtpCodec.IntegrationTests.Interop;

/// <summary>
/// A private Postfix instance (own configuration, queue and log under a temporary folder) with one
/// smtpd on 127.0.0.1 and a free port: STARTTLS with the test certificate, a SIZE limit, local
/// recipients alice, bob and hold at localhost.test (anything else there gets 550, other domains 554),
/// delivery to the discard transport, and hold@ parking its message in the hold queue for postcat.
/// The master runs in the foreground as our child and is stopped by its pid.
/// </summary>
public sealed class PostfixPeer : IAsyncLifetime
{
    public const string Domain = "localhost.test";
    public const long MessageSizeLimit = 500_000;

    /// <summary>A loopback address this Postfix does not offer 8BITMIME to (smtpd_discard_ehlo_keyword_address_maps), as a server without it.</summary>
    public const string NoEightBitClient = "127.0.0.2";

    private const string PostfixBinary = "/usr/sbin/postfix";
    private const string MasterBinary = "/usr/lib/postfix/sbin/master";
    private const string PostcatBinary = "/usr/sbin/postcat";

    private DirectoryInfo? _root;
    private PeerProcess? _master;

    public int Port { get; private set; }

    private string ConfigDirectory => Path.Combine(_root!.FullName, "etc");

    private string LogPath => Path.Combine(_root!.FullName, "maillog");

    public async Task InitializeAsync()
    {
        InteropPeers.Require(PostfixBinary, "Postfix (Debian package postfix)");
        InteropPeers.Require(MasterBinary, "Postfix's master daemon (Debian package postfix)");
        InteropPeers.Require(PostcatBinary, "postcat (Debian package postfix)");
        InteropPeers.RequireRoot("Postfix");

        _root = InteropPeers.CreateTemporaryDirectory("smtpcodec-postfix-");
        Directory.CreateDirectory(ConfigDirectory);
        (string certificate, string key) = InteropPeers.WriteCertificate(_root);
        File.WriteAllText(Path.Combine(ConfigDirectory, "main.cf"), MainCf(_root.FullName, certificate, key));

        // The queue's subfolders are made by "postfix check" with their owners and modes; the data folder must be postfix's.
        Directory.CreateDirectory(Path.Combine(_root.FullName, "queue"));
        string data = Directory.CreateDirectory(Path.Combine(_root.FullName, "data")).FullName;
        await InteropPeers.RunAsync("chown", "postfix", data);
        for (int attempt = 1; ; attempt++)
        {
            Port = InteropPeers.FreeLoopbackPort();
            File.WriteAllText(Path.Combine(ConfigDirectory, "master.cf"), MasterCf(Port));
            try
            {
                await InteropPeers.RunAsync(PostfixBinary, "-c", ConfigDirectory, "check");
                _master = PeerProcess.Start(MasterBinary, ["-c", ConfigDirectory, "-d"]);
                await InteropPeers.WaitUntilAcceptingAsync(Port, _master, "Postfix master");
                return;
            }
            catch (Exception e)
            {
                if (_master is not null)
                {
                    await _master.DisposeAsync();
                    _master = null;
                }

                if (attempt == 3 || e is not InvalidOperationException)
                {
                    throw new InvalidOperationException($"{e.Message}\nmaillog:\n{ReadLog()}", e);
                }

                // most likely the port was taken between picking and binding it: another one
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (_master is not null)
        {
            await _master.DisposeAsync();
        }

        if (_root is not null)
        {
            InteropPeers.DeleteQuietly(_root);
        }
    }

    /// <summary>The instance's log (maillog_file, written by postlogd).</summary>
    public string ReadLog()
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd();
        }
        catch (FileNotFoundException)
        {
            return "";
        }
    }

    /// <summary>Log lines about one queue id.</summary>
    public string[] LogLinesOf(string queueId) =>
        ReadLog().Split('\n').Where(line => line.Contains($": {queueId}: ", StringComparison.Ordinal)).ToArray();

    /// <summary>Waits until the log shows <paramref name="count"/> lines matching, and returns them.</summary>
    public async Task<string[]> WaitForLogAsync(Func<string, bool> match, int count, string what)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            string[] lines = ReadLog().Split('\n').Where(match).ToArray();
            if (lines.Length >= count)
            {
                return lines;
            }

            if (limit.IsCancellationRequested)
            {
                throw new TimeoutException($"Postfix did not log {what} ({lines.Length} of {count} lines) within 60 s.\nmaillog:\n{ReadLog()}");
            }

            await Task.Delay(100, CancellationToken.None);
        }
    }

    /// <summary>
    /// Waits for the end of the smtpd session that received <paramref name="queueId"/> and returns its
    /// "disconnect from" line, which counts the session's commands (<c>ehlo=2 starttls=1 rcpt=2/4 ...</c>).
    /// </summary>
    public async Task<string> WaitForSessionEndAsync(string queueId)
    {
        string[] received = await WaitForLogAsync(l => l.Contains($"]: {queueId}: client=", StringComparison.Ordinal), 1, $"the session of {queueId}");
        string smtpd = received[0][received[0].IndexOf("postfix/smtpd[", StringComparison.Ordinal)..received[0].IndexOf("]: ", StringComparison.Ordinal)] + "]: disconnect from ";
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            // smtpd processes serve one session after another: the first disconnect of that process after the queue id.
            string[] log = ReadLog().Split('\n');
            int start = Array.FindIndex(log, l => l.Contains($"]: {queueId}: client=", StringComparison.Ordinal));
            string? end = log.Skip(start).FirstOrDefault(l => l.Contains(smtpd, StringComparison.Ordinal));
            if (end is not null)
            {
                return end;
            }

            if (limit.IsCancellationRequested)
            {
                throw new TimeoutException($"Postfix did not log the end of the session of {queueId} within 60 s.\nmaillog:\n{ReadLog()}");
            }

            await Task.Delay(100, CancellationToken.None);
        }
    }

    /// <summary>postcat of a queued message: <c>-e</c> envelope, <c>-b</c> body, <c>-h</c> header.</summary>
    public Task<string> PostcatAsync(string queueId, string sections) =>
        InteropPeers.RunAsync(PostcatBinary, "-c", ConfigDirectory, sections, "-q", queueId);

    /// <summary>The queue id in Postfix's end-of-data reply, <c>2.0.0 Ok: queued as 4BxyZ1</c>.</summary>
    public static string QueueIdOf(string replyText)
    {
        const string Marker = "queued as ";
        int at = replyText.IndexOf(Marker, StringComparison.Ordinal);
        Assert.True(at >= 0, $"no queue id in \"{replyText}\"");
        return replyText[(at + Marker.Length)..].Trim();
    }

    private static string MainCf(string root, string certificate, string key) => string.Create(CultureInfo.InvariantCulture, $$"""
        compatibility_level = 3.6
        queue_directory = {{root}}/queue
        data_directory = {{root}}/data
        mail_owner = postfix
        setgid_group = postdrop
        myhostname = postfix.{{Domain}}
        mydomain = {{Domain}}
        myorigin = $myhostname
        mydestination = {{Domain}}
        inet_interfaces = loopback-only
        inet_protocols = ipv4
        mynetworks = 127.0.0.0/8
        smtpd_peername_lookup = no
        smtpd_discard_ehlo_keyword_address_maps = inline:{ {{NoEightBitClient}}=8bitmime }
        local_recipient_maps = inline:{ alice@{{Domain}}=ok, bob@{{Domain}}=ok, hold@{{Domain}}=ok }
        local_transport = discard:delivered to the interop test's discard
        alias_maps =
        alias_database =
        smtpd_relay_restrictions = reject_unauth_destination
        smtpd_recipient_restrictions = check_recipient_access inline:{ hold@{{Domain}}=HOLD }, reject_unauth_destination
        message_size_limit = {{MessageSizeLimit}}
        smtpd_tls_security_level = may
        smtpd_tls_chain_files = {{key}}, {{certificate}}
        maillog_file = {{root}}/maillog
        maillog_file_prefixes = {{root}}
        biff = no
        """);

    // Only what a message needs on its way from smtpd to the discard transport; nothing chrooted.
    private static string MasterCf(int port) => string.Create(CultureInfo.InvariantCulture, $$"""
        127.0.0.1:{{port}} inet n - n - - smtpd
        pickup    unix  n - n 60    1 pickup
        cleanup   unix  n - n -     0 cleanup
        qmgr      unix  n - n 300   1 qmgr
        tlsmgr    unix  - - n 1000? 1 tlsmgr
        rewrite   unix  - - n -     - trivial-rewrite
        bounce    unix  - - n -     0 bounce
        defer     unix  - - n -     0 bounce
        trace     unix  - - n -     0 bounce
        verify    unix  - - n -     1 verify
        flush     unix  n - n 1000? 0 flush
        proxymap  unix  - - n -     - proxymap
        showq     unix  n - n -     - showq
        error     unix  - - n -     - error
        retry     unix  - - n -     - error
        discard   unix  - - n -     - discard
        anvil     unix  - - n -     1 anvil
        scache    unix  - - n -     1 scache
        postlog   unix-dgram n - n - 1 postlogd

        """);
}
