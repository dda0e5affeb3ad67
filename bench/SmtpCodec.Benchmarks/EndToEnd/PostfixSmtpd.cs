using System.Diagnostics;
using System.Globalization;

namespace SmtpCodec.Benchmarks.EndToEnd;

/// <summary>
/// A private Postfix instance as a real CHUNKING server (<c>--targets smtpd</c>; root only, as Postfix's master is):
/// its own configuration, queue and log in a temporary folder, one smtpd on a free loopback port, and every message
/// delivered to the discard transport (<c>default_transport = discard</c>), so the queue drains as fast as it fills.
/// Its master runs in the foreground as the runner's child and is stopped by its process id; the folder is then
/// deleted. Set up as tests/SmtpCodec.IntegrationTests/Interop/PostfixPeer.cs sets up its instance, without TLS,
/// size limit or local recipients.
/// </summary>
internal sealed partial class BenchServer
{
    public const string SmtpdName = "Postfix smtpd";

    private const string PostfixProgram = "/usr/sbin/postfix";
    private const string MasterProgram = "/usr/lib/postfix/sbin/master";
    private static readonly string[] s_queues = ["incoming", "active", "deferred", "maildrop"];

    public static async Task<BenchServer> StartPostfixSmtpdAsync()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root" || !File.Exists(PostfixProgram) || !File.Exists(MasterProgram))
        {
            throw new InvalidOperationException($"--targets smtpd needs root and Postfix ({PostfixProgram}, {MasterProgram}).");
        }

        var root = Directory.CreateTempSubdirectory("smtpcodec-e2e-postfix-");

        // Postfix's daemons run as the postfix user: they must reach the folder (created 0700).
        File.SetUnixFileMode(root.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        string config = Directory.CreateDirectory(Path.Combine(root.FullName, "etc")).FullName;
        Directory.CreateDirectory(Path.Combine(root.FullName, "queue"));
        string data = Directory.CreateDirectory(Path.Combine(root.FullName, "data")).FullName;
        int port = FreePort();
        await File.WriteAllTextAsync(Path.Combine(config, "main.cf"), MainCf(root.FullName)).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(config, "master.cf"), MasterCf(port)).ConfigureAwait(false);
        try
        {
            await RunToEndAsync("chown", "postfix", data).ConfigureAwait(false);
            await RunToEndAsync(PostfixProgram, "-c", config, "check").ConfigureAwait(false);
            var start = new ProcessStartInfo(MasterProgram) { UseShellExecute = false, RedirectStandardError = true };
            foreach (string argument in new[] { "-c", config, "-d" })
            {
                start.ArgumentList.Add(argument);
            }

            Process master = Process.Start(start) ?? throw new InvalidOperationException("Could not start Postfix's master.");
            Task<string> errors = master.StandardError.ReadToEndAsync();
            try
            {
                return await WhenListeningAsync(SmtpdName, master, port, MasterProgram, root).ConfigureAwait(false);
            }
            catch (InvalidOperationException e) when (master.HasExited)
            {
                string log = Path.Combine(root.FullName, "maillog");
                throw new InvalidOperationException($"{e.Message} {await errors.ConfigureAwait(false)} {(File.Exists(log) ? await File.ReadAllTextAsync(log).ConfigureAwait(false) : "")}", e);
            }
        }
        catch
        {
            root.Delete(recursive: true);
            throw;
        }
    }

    /// <summary>How many messages are still in the instance's queue (incoming, active, deferred): bounded when discard keeps up.</summary>
    private void ReportQueue()
    {
        string queue = Path.Combine(_root!.FullName, "queue");
        int queued = s_queues
            .Select(d => Path.Combine(queue, d))
            .Where(Directory.Exists)
            .Sum(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories).Count());
        string log = Path.Combine(_root.FullName, "maillog");
        int discarded = File.Exists(log) ? File.ReadLines(log).Count(l => l.Contains("status=sent (", StringComparison.Ordinal)) : 0;
        Console.Error.WriteLine($"  {Name} stopped: {discarded:N0} messages discarded, {queued:N0} left in its queue");
    }

    private static async Task RunToEndAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        Task<string> errors = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await errors.ConfigureAwait(false)}");
        }
    }

    private static string MainCf(string root) => string.Create(CultureInfo.InvariantCulture, $"""
        compatibility_level = 3.6
        queue_directory = {root}/queue
        data_directory = {root}/data
        mail_owner = postfix
        setgid_group = postdrop
        myhostname = postfix.bench.localhost
        mydestination =
        inet_interfaces = loopback-only
        inet_protocols = ipv4
        mynetworks = 127.0.0.0/8
        smtpd_peername_lookup = no
        smtpd_relay_restrictions = permit_mynetworks, reject
        default_transport = discard:benchmark
        relay_transport = discard:benchmark
        message_size_limit = 0
        alias_maps =
        alias_database =
        maillog_file = {root}/maillog
        maillog_file_prefixes = {root}
        biff = no
        """);

    // What a message needs from smtpd to the discard transport; nothing chrooted.
    private static string MasterCf(int port) => string.Create(CultureInfo.InvariantCulture, $"""
        127.0.0.1:{port} inet n - n - - smtpd
        pickup    unix  n - n 60    1 pickup
        cleanup   unix  n - n -     0 cleanup
        qmgr      unix  n - n 300   1 qmgr
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
