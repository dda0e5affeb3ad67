using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SmtpCodec.Protocol;

namespace SmtpCodec.Sink;

/// <summary>
/// An embedded SMTP receiver on loopback, built on the codec: it parses commands with the generated
/// matchers, writes replies as bytes, unstuffs DATA and reads BDAT chunks, and counts what it received.
/// A message counts as received only once its 250 is written.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly SmtpSinkOptions _options;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;
    private readonly List<Task> _sessions = [];
    private int _activeSessions;
    private long _connections;
    private long _messages;
    private long _bytes;
    private long _queueIds;
    private long _sessionFaults;
    private long _refusedConnections;
    private long _peakStagedBytes;
    private readonly long[] _injectedFaults = new long[(int)SmtpSinkFaultKind.Delay + 1];
    private int _disposed;

    private SmtpSink(SmtpSinkOptions options, Socket listener, FaultPlan? faults, MessageStore? store)
    {
        _options = options;
        Certificate = options.Certificate
            ?? ((options.Extensions & EhloExtensions.StartTls) != 0 ? CreateSelfSignedCertificate(options.ServerName) : null);
        EhloBeforeTls = EhloReplyBuilder.Build(options, afterTls: false);
        EhloAfterTls = EhloReplyBuilder.Build(options, afterTls: true);
        Faults = faults;
        Store = store;
        ScramCredentials = new ScramCredentials(options.Users);
        _queueIds = store?.HighestStoredId() ?? 0;
        _listener = listener;
        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _accepting = AcceptAsync();
    }

    /// <summary>Where the sink listens (the real port when port 0 was asked for).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The STARTTLS certificate (given, or made in memory at start); null without STARTTLS. Clients may pin it.</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>Connections accepted so far.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Connections turned away with 421 because <see cref="SmtpSinkOptions.MaxConnections"/> were open.</summary>
    public long RefusedConnections => Interlocked.Read(ref _refusedConnections);

    /// <summary>Messages received (their 250 written); a message struck by a fault at its end is not among them.</summary>
    public long Messages => Interlocked.Read(ref _messages);

    /// <summary>Sessions that ended on an unexpected exception (a bug): 0 whatever the clients send.</summary>
    public long SessionFaults => Interlocked.Read(ref _sessionFaults);

    /// <summary>The last unexpected exception of a session, for diagnosis.</summary>
    public Exception? LastSessionFault { get; private set; }

    /// <summary>Content bytes of the received messages, after unstuffing.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>The directory messages are stored in (full path), or null when they are not stored.</summary>
    public string? StoreDirectory => Store?.Directory;

    internal SmtpSinkOptions Options => _options;

    internal byte[] EhloBeforeTls { get; }

    internal byte[] EhloAfterTls { get; }

    internal FaultPlan? Faults { get; }

    internal MessageStore? Store { get; }

    internal ScramCredentials ScramCredentials { get; }

    /// <summary>The most reply bytes one session held back for their delay at once.</summary>
    internal long PeakStagedBytes => Interlocked.Read(ref _peakStagedBytes);

    /// <summary>How many faults of a kind were injected so far (for a delay: how many replies it held back).</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>The count.</returns>
    public long GetInjectedFaults(SmtpSinkFaultKind kind) => Interlocked.Read(ref _injectedFaults[(int)kind]);

    /// <summary>Starts listening.</summary>
    /// <param name="options">Where and what; the defaults listen on a free loopback port.</param>
    /// <returns>The running sink.</returns>
    /// <exception cref="ArgumentException">The options ask for something the sink does not implement, or their faults contradict each other.</exception>
    /// <exception cref="SocketException">The address cannot be listened on.</exception>
    /// <exception cref="IOException">The store directory cannot be made.</exception>
    public static SmtpSink Start(SmtpSinkOptions? options = null)
    {
        options ??= new SmtpSinkOptions();
        options.Validate();
        FaultPlan? faults = FaultPlan.Create(options.Faults);
        MessageStore? store = options.StoreDirectory is null ? null : new MessageStore(options.StoreDirectory);
        var listener = new Socket(options.Listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(options.Listen);
            listener.Listen(512);
            return new SmtpSink(options, listener, faults, store);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>Stops listening and closes every session.</summary>
    /// <returns>A task that completes when every session has ended.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        Task[] sessions;
        lock (_sessions)
        {
            sessions = [.. _sessions];
        }

        await Task.WhenAll(sessions).ConfigureAwait(false);
        _stopping.Dispose();
    }

    internal long NextQueueId() => Interlocked.Increment(ref _queueIds);

    internal void CountMessage(long bytes)
    {
        Interlocked.Increment(ref _messages);
        Interlocked.Add(ref _bytes, bytes);
    }

    internal void NoteStagedBytes(long staged)
    {
        long peak = Interlocked.Read(ref _peakStagedBytes);
        while (staged > peak && Interlocked.CompareExchange(ref _peakStagedBytes, staged, peak) != peak)
        {
            peak = Interlocked.Read(ref _peakStagedBytes);
        }
    }

    internal void CountFault(SmtpSinkFaultKind kind) => Interlocked.Increment(ref _injectedFaults[(int)kind]);

    /// <summary>
    /// Reads a STARTTLS certificate and its private key from PEM files (the certificate file may hold the
    /// chain after it; the key is PKCS#8, RSA or EC, unencrypted), for <see cref="SmtpSinkOptions.Certificate"/>.
    /// </summary>
    /// <param name="certificatePath">The certificate's PEM file.</param>
    /// <param name="keyPath">The private key's PEM file; null when it follows the certificate in the same file.</param>
    /// <returns>The certificate with its key, usable by <see cref="SslStream"/> on every platform.</returns>
    /// <exception cref="IOException">A file cannot be read, or holds no usable certificate or key; the message names the file.</exception>
    public static X509Certificate2 LoadCertificateFromPem(string certificatePath, string? keyPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(certificatePath);
        RequireFile(certificatePath);
        if (keyPath is not null)
        {
            RequireFile(keyPath);
        }

        try
        {
            using X509Certificate2 pem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            if (!pem.HasPrivateKey)
            {
                throw new IOException($"'{keyPath ?? certificatePath}' holds no private key for the certificate in '{certificatePath}'.");
            }

            // Through PKCS#12, as for the certificate made in memory, so that SslStream can use the key everywhere.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (CryptographicException e)
        {
            throw new IOException($"Cannot read a certificate and its key from '{certificatePath}'{(keyPath is null ? "" : $" and '{keyPath}'")}: {e.Message}", e);
        }
    }

    /// <summary>A self-signed certificate for the server name, localhost and the loopback addresses.</summary>
    internal static X509Certificate2 CreateSelfSignedCertificate(string serverName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={serverName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(serverName);
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(7));

        // Through PKCS#12 so that SslStream can use the private key on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    private static void RequireFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The PEM file '{path}' does not exist.", path);
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            // Replies are small and pipelined clients wait for them: no Nagle delay.
            socket.NoDelay = true;
            long number = Interlocked.Increment(ref _connections);
            bool admitted = Interlocked.Increment(ref _activeSessions) <= _options.MaxConnections;
            if (!admitted)
            {
                Interlocked.Increment(ref _refusedConnections);
            }

            Task session = RunSessionAsync(socket, number, admitted);
            lock (_sessions)
            {
                _sessions.RemoveAll(t => t.IsCompleted);
                _sessions.Add(session);
            }
        }
    }

    private async Task RunSessionAsync(Socket socket, long number, bool admitted)
    {
        await Task.Yield();
        try
        {
            await using var stream = new NetworkStream(socket, ownsSocket: true);
            using var session = new SinkSession(this, stream, number);
            await session.RunAsync(admitted, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (SinkSession.IsOrdinaryEnd(e))
        {
            // The client went away (or failed its TLS handshake) or the sink is stopping: the session simply ends.
        }
#pragma warning disable CA1031 // A session's bug must not take the sink down; it is counted and kept for diagnosis.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LastSessionFault = e;
            Interlocked.Increment(ref _sessionFaults);
        }
        finally
        {
            Interlocked.Decrement(ref _activeSessions);
        }
    }
}
