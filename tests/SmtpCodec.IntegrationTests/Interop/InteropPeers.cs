using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SmtpCodec.Tests.Infrastructure;

namespace SmtpCodec.IntegrationTests.Interop;

/// <summary>
/// Where the real peers live and what every interop fixture shares. A missing peer fails the test
/// with the command that installs it (tests/run.sh runs that command itself): never a skip.
/// </summary>
internal static class InteropPeers
{
    public const string InstallCommand = "bash tests/interop/install-peers.sh";

    /// <summary>How long one interop test may take in all, peer start included.</summary>
    public static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(120);

    /// <summary>How long a peer may take to start listening.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    public static string Directory { get; } = Path.Combine(RepositoryRoot.Path, "tests", "interop");

    /// <summary>Fails unless <paramref name="path"/> exists, naming the peer and the install command.</summary>
    public static string Require(string path, string peer)
    {
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{peer} is missing ({path} not found): run `{InstallCommand}` as root from the repository root.");
        }

        return path;
    }

    /// <summary>Finds a program on PATH, or fails naming the install command.</summary>
    public static string RequireOnPath(string program, string peer)
    {
        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(folder, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"{peer} is missing ({program} is not on PATH): run `{InstallCommand}` as root from the repository root.");
    }

    /// <summary>Postfix switches users itself: its daemons start as root.</summary>
    public static void RequireRoot(string peer)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new InvalidOperationException($"{peer} must be started as root (it drops to the postfix user itself); run the tests as root, as CI does.");
        }
    }

    /// <summary>A loopback port free at the time of asking, for peers that cannot pick their own.</summary>
    public static int FreeLoopbackPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>Waits until something accepts TCP connections on the loopback port, or the peer exits.</summary>
    public static async Task WaitUntilAcceptingAsync(int port, PeerProcess peer, string what)
    {
        using var limit = new CancellationTokenSource(StartTimeout);
        while (true)
        {
            if (peer.HasExited)
            {
                throw new InvalidOperationException($"{what} exited before accepting on 127.0.0.1:{port}.\n{peer.Output}");
            }

            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), limit.Token);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100, CancellationToken.None);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{what} did not accept on 127.0.0.1:{port} within {StartTimeout.TotalSeconds:0} s.\n{peer.Output}");
            }

            if (limit.IsCancellationRequested)
            {
                throw new TimeoutException($"{what} did not accept on 127.0.0.1:{port} within {StartTimeout.TotalSeconds:0} s.\n{peer.Output}");
            }
        }
    }

    /// <summary>A temporary folder the peer's unprivileged users can enter (mode 755).</summary>
    public static DirectoryInfo CreateTemporaryDirectory(string prefix)
    {
        DirectoryInfo folder = System.IO.Directory.CreateTempSubdirectory(prefix);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the interop peers are Debian programs");
        }

        File.SetUnixFileMode(folder.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return folder;
    }

    public static void DeleteQuietly(DirectoryInfo folder)
    {
        try
        {
            folder.Delete(recursive: true);
        }
        catch (IOException)
        {
            // a peer's last write may still hold a file; the OS cleans its temp folder
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// Writes the test certificate (self-signed, localhost and 127.0.0.1) and its key as PEM files for a
    /// peer; clients of the peer pin <see cref="TestCertificates.Localhost"/>.
    /// </summary>
    public static (string CertificatePath, string KeyPath) WriteCertificate(DirectoryInfo folder)
    {
        X509Certificate2 certificate = TestCertificates.Localhost;
        using ECDsa key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("the test certificate has no ECDSA key");
        string certificatePath = Path.Combine(folder.FullName, "cert.pem");
        string keyPath = Path.Combine(folder.FullName, "key.pem");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem() + "\n");
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
        return (certificatePath, keyPath);
    }

    /// <summary>Runs a short command to its end (chown, postfix check, postcat) and returns its stdout; fails on a non-zero exit.</summary>
    public static async Task<string> RunAsync(string fileName, params string[] arguments)
    {
        await using PeerProcess process = PeerProcess.Start(fileName, arguments);
        int exit = await process.CloseInputAndWaitAsync(TimeSpan.FromSeconds(60));
        if (exit != 0)
        {
            throw new InvalidOperationException($"exit code {exit}.\n{process.Output}");
        }

        return string.Join('\n', process.Lines);
    }
}
