using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace SmtpCodec.Benchmarks.EndToEnd;

/// <summary>
/// A server process on loopback that the runner started, and stops by its process id; or, in the runner's no-spin
/// agent, one the runner started, attached by its port (<see cref="Attach"/>), which the agent leaves alone.
/// </summary>
internal sealed partial class BenchServer : IAsyncDisposable
{
    private readonly Process? _process;
    private readonly DirectoryInfo? _root;

    private BenchServer(string name, int replyDelayMs, Process? process, int port, DirectoryInfo? root = null)
    {
        _root = root;
        Name = name;
        ReplyDelayMs = replyDelayMs;
        _process = process;
        Port = port;
    }

    public string Name { get; }

    public int ReplyDelayMs { get; }

    public static string Host => "127.0.0.1";

    public int Port { get; }

    public bool IsEmbeddedSink => Name == EmbeddedSinkName;

    /// <summary>Whether the server offers CHUNKING (BDAT): the embedded sink and Postfix's smtpd.</summary>
    public bool OffersChunking => Name is EmbeddedSinkName or SmtpdName;

    public const string EmbeddedSinkName = "embedded sink";

    public const string SmtpSinkName = "Postfix smtp-sink";

    /// <summary>A server another process started and owns, known by its name (one of the names here), reply delay and port.</summary>
    public static BenchServer Attach(string name, int replyDelayMs, int port) =>
        name is EmbeddedSinkName or SmtpSinkName or SmtpdName
            ? new BenchServer(name, replyDelayMs, process: null, port)
            : throw new ArgumentException($"No server is called '{name}'.", nameof(name));

    /// <summary>This program in <c>e2e-sink</c> mode; it prints the port it listens on.</summary>
    public static async Task<BenchServer> StartEmbeddedSinkAsync(int replyDelayMs)
    {
        var start = SelfStartInfo("e2e-sink", "--reply-delay-ms", replyDelayMs.ToString(CultureInfo.InvariantCulture));
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        Process process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the embedded sink process.");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? line = await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false);
        const string Prefix = "listening on ";
        if (line is null || !line.StartsWith(Prefix, StringComparison.Ordinal) || !IPEndPoint.TryParse(line[Prefix.Length..], out IPEndPoint? endPoint))
        {
            Stop(process);
            throw new InvalidOperationException($"The embedded sink process said '{line}' instead of where it listens.");
        }

        return new BenchServer(EmbeddedSinkName, replyDelayMs, process, endPoint.Port);
    }

    /// <summary>Postfix's smtp-sink on a free loopback port, once it accepts connections.</summary>
    public static async Task<BenchServer> StartSmtpSinkAsync(string smtpSink)
    {
        int port = FreePort();
        var start = new ProcessStartInfo(smtpSink) { UseShellExecute = false, RedirectStandardError = true };

        // Run as root, smtp-sink wants a user to switch to once its socket is open.
        if (Environment.UserName == "root")
        {
            start.ArgumentList.Add("-u");
            start.ArgumentList.Add("nobody");
        }

        foreach (string argument in new[] { "-a", "-C", "-F", $"127.0.0.1:{port}", "256" })
        {
            start.ArgumentList.Add(argument);
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {smtpSink}.");
        _ = process.StandardError.ReadToEndAsync();
        return await WhenListeningAsync(SmtpSinkName, process, port, smtpSink).ConfigureAwait(false);
    }

    private static async Task<BenchServer> WhenListeningAsync(string name, Process process, int port, string program, DirectoryInfo? root = null)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{program} exited with code {process.ExitCode} before it listened on port {port}.");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
                return new BenchServer(name, 0, process, port, root);
            }
            catch (SocketException) when (waited.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                Stop(process);
                throw new InvalidOperationException($"{program} did not listen on 127.0.0.1:{port} within 10 s.");
            }
        }
    }

    /// <summary>How to start this program again with other arguments (through dotnet, or its own host).</summary>
    public static ProcessStartInfo SelfStartInfo(params string[] arguments)
    {
        string host = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(host) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is null)
        {
            return;
        }

        if (IsEmbeddedSink && !_process.HasExited)
        {
            // Ask it to stop, so that it reports its counters; kill it by its id if it does not.
            try
            {
                await _process.StandardInput.WriteLineAsync("stop").ConfigureAwait(false);
                await _process.StandardInput.FlushAsync().ConfigureAwait(false);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                string rest = await _process.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
                Console.Error.WriteLine($"  {Name} ({ReplyDelayMs} ms) stopped: {rest.Trim()}");
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                Console.Error.WriteLine($"  {Name} did not stop when asked ({e.GetType().Name}); killing process {_process.Id}.");
            }
        }

        Stop(_process);
        _process.Dispose();
        if (_root is not null)
        {
            ReportQueue();
            _root.Delete(recursive: true);
        }
    }

    private static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit(10_000);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
