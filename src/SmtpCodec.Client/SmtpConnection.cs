using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using SmtpCodec.Capabilities;
using SmtpCodec.Commands;
using SmtpCodec.Protocol;
using SmtpCodec.Replies;

namespace SmtpCodec.Client;

/// <summary>
/// One SMTP session over a duplex stream (a socket, an <see cref="SslStream"/>, an in-memory pipe). It owns
/// the pipe: replies are read from a <see cref="PipeReader"/> by <see cref="SmtpReplyReader"/>, and commands
/// and content are written straight into the <see cref="PipeWriter"/>'s buffers by the codec.
/// </summary>
/// <remarks>Not thread-safe: one operation at a time. After an exception other than a rejected
/// transaction the connection is closed (<see cref="IsConnected"/> is false).</remarks>
public sealed partial class SmtpConnection : IAsyncDisposable
{
    private readonly SmtpConnectionOptions _options;
    private readonly SmtpTlsMode _tlsMode;
    private readonly string _host;
    private readonly SmtpEndpoint _endpoint;
    private readonly Stream _transport;
    private readonly EndPoint? _localEndPoint;
    private readonly EhloCapabilities _capabilities = new();
    private readonly WireTap? _tap;
    private Stream _stream;
    private PipeReader _input;
    private PipeWriter _output;
    private readonly SmtpReplyReaderState _freshReplyState;
    private SmtpReplyReaderState _replyState;
    private CancellationTokenSource _timer = new();
    private readonly ReplyTextCache _replyTexts = new();
    private ArrayBufferWriter<byte>? _staging;
    private List<string>? _stagedNotes;
    private bool _staged;
    private bool _broken;
    private int _transactionCount;
    private bool _disposed;
    private static long s_lastId;

    private SmtpConnection(Stream transport, string host, SmtpConnectionOptions options, EndPoint? localEndPoint, int? port)
    {
        _options = options;
        Id = Interlocked.Increment(ref s_lastId);
        _tlsMode = ResolveTlsMode(options.TlsMode, port);
        _host = host;
        _endpoint = new SmtpEndpoint(host, port);
        _transport = transport;
        _stream = transport;
        _localEndPoint = localEndPoint;
        _tap = options.Transcript is null ? null : new WireTap();
        _freshReplyState = new SmtpReplyReaderState(options.ReplyReader);
        _replyState = _freshReplyState;
        (_input, _output) = CreatePipes(transport);
    }

    /// <summary>What the server offers, from its latest EHLO reply (empty after HELO).</summary>
    public EhloCapabilities Capabilities => _capabilities;

    /// <summary>A number unique to this connection in the process (1, 2, ...), carried by its transcript lines.</summary>
    public long Id { get; }

    /// <summary>The server's greeting.</summary>
    public SmtpResponse Greeting { get; private set; }

    /// <summary>Whether the server refused EHLO and the session runs on HELO.</summary>
    public bool UsedHelo { get; private set; }

    /// <summary>Whether the session runs over TLS.</summary>
    public bool IsEncrypted => _stream is SslStream;

    /// <summary>The TLS protocol in use, or None.</summary>
    public SslProtocols TlsProtocol => _stream is SslStream ssl ? ssl.SslProtocol : SslProtocols.None;

    /// <summary>The TLS cipher suite in use, or null.</summary>
    public TlsCipherSuite? TlsCipherSuite => _stream is SslStream ssl ? ssl.NegotiatedCipherSuite : null;

    /// <summary>Whether AUTH succeeded.</summary>
    public bool IsAuthenticated { get; private set; }

    /// <summary>The mechanism AUTH used, or None.</summary>
    public SaslMechanism AuthenticatedWith { get; private set; }

    /// <summary>Whether the connection can still be used.</summary>
    public bool IsConnected => !_broken && !_disposed;

    /// <summary>The server as telemetry names it (server.address, server.port).</summary>
    internal SmtpEndpoint Endpoint => _endpoint;

    /// <summary>Connects over TCP, then greets, secures and authenticates as the options say.</summary>
    /// <param name="host">The server's host name or address.</param>
    /// <param name="port">The port: 587 (submission), 465 (implicit TLS), 25.</param>
    /// <param name="options">Connection options; by default implicit TLS on port 465 and STARTTLS required on any other.</param>
    /// <param name="cancellationToken">Cancels the whole opening.</param>
    /// <returns>A connection ready for transactions.</returns>
    public static async Task<SmtpConnection> ConnectAsync(string host, int port, SmtpConnectionOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        options ??= new SmtpConnectionOptions();
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await ConnectSocketAsync(socket, host, port, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            SmtpTelemetry.ConnectionFailed(null, new SmtpEndpoint(host, port), e);
            throw;
        }

        return await OpenAsync(new NetworkStream(socket, ownsSocket: true), host, options, socket.LocalEndPoint, port, cancellationToken).ConfigureAwait(false);
    }

    private static async Task ConnectSocketAsync(Socket socket, string host, int port, SmtpConnectionOptions options, CancellationToken cancellationToken)
    {
        try
        {
            if (options.LocalEndPoint is not null)
            {
                socket.Bind(options.LocalEndPoint);
            }

            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(options.Timeouts.Connect);
                try
                {
                    await socket.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new SmtpTimeoutException(SmtpPhase.Connect, options.Timeouts.Connect);
                }
            }
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new SmtpException(SmtpPhase.Connect, $"Cannot connect to {host}:{port}: {e.Message} ({e.SocketErrorCode})", isTransient: true, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Runs a session over a stream that is already connected (a socket stream, an in-memory duplex pipe).</summary>
    /// <param name="stream">The duplex stream; the connection owns and disposes it.</param>
    /// <param name="host">The server's name, for TLS.</param>
    /// <param name="options">Connection options.</param>
    /// <param name="cancellationToken">Cancels the whole opening.</param>
    /// <returns>A connection ready for transactions.</returns>
    public static Task<SmtpConnection> OpenAsync(Stream stream, string host, SmtpConnectionOptions? options = null, CancellationToken cancellationToken = default) =>
        OpenAsync(stream, host, options ?? new SmtpConnectionOptions(), localEndPoint: null, port: null, cancellationToken);

    /// <summary>What <see cref="SmtpTlsMode.ByPort"/> means for a port: implicit TLS on 465, STARTTLS required elsewhere.</summary>
    internal static SmtpTlsMode ResolveTlsMode(SmtpTlsMode mode, int? port) =>
        mode != SmtpTlsMode.ByPort ? mode : port == 465 ? SmtpTlsMode.Implicit : SmtpTlsMode.StartTlsRequired;

    private static async Task<SmtpConnection> OpenAsync(Stream stream, string host, SmtpConnectionOptions options, EndPoint? localEndPoint, int? port, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (options.Credentials is not null && options.CredentialsProvider is not null)
        {
            throw new ArgumentException("Set Credentials or CredentialsProvider, not both.", nameof(options));
        }

        var connection = new SmtpConnection(stream, host, options, localEndPoint, port);
        using Activity? activity = SmtpTelemetry.StartConnect(connection._endpoint);
        try
        {
            await connection.StartAsync(cancellationToken).ConfigureAwait(false);
            SmtpTelemetry.ConnectionReady(activity, connection._endpoint, connection.TlsProtocol);
            return connection;
        }
        catch (Exception e)
        {
            SmtpTelemetry.ConnectionFailed(activity, connection._endpoint, e);
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_tlsMode == SmtpTlsMode.Implicit)
        {
            await HandshakeAsync(SmtpPhase.Connect, cancellationToken).ConfigureAwait(false);
        }

        Greeting = await ReadReplyAsync(SmtpPhase.Greeting, cancellationToken).ConfigureAwait(false);
        if (!Greeting.Is(SmtpReplyCode.ServiceReady))
        {
            // RFC 5321 section 3.1: 554 means "no SMTP service here"; anything but 220 ends the session.
            await CloseAfterFailureAsync().ConfigureAwait(false);
            throw new SmtpReplyException(SmtpPhase.Greeting, Greeting, "The greeting");
        }

        await HelloAsync(cancellationToken).ConfigureAwait(false);
        if (_tlsMode is SmtpTlsMode.StartTlsIfAvailable or SmtpTlsMode.StartTlsRequired)
        {
            await StartTlsAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_options.CredentialsProvider is { } provider)
        {
            await AuthenticateWithProviderAsync(provider, cancellationToken).ConfigureAwait(false);
        }
        else if (_options.Credentials is not null)
        {
            await AuthenticateAsync(_options.Credentials, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>EHLO, falling back to HELO when the server does not know EHLO (RFC 5321 section 4.1.4).</summary>
    private async Task HelloAsync(CancellationToken cancellationToken)
    {
        string name = EhloName();
        WriteCommand(SmtpPhase.Ehlo, static (w, n) => SmtpCommandWriter.WriteEhlo(w, n), name);
        SmtpResponse ehlo = await FlushAndReadAsync(SmtpPhase.Ehlo, cancellationToken, readCapabilities: true).ConfigureAwait(false);
        if (ehlo.Is(SmtpReplyCode.Completed))
        {
            UsedHelo = false;
            DecideSessionFeatures();
            return;
        }

        // RFC 5321 section 4.1.4: a server that does not know EHLO says so with one of these; HELO then.
        if (ehlo.Code is not ((int)SmtpReplyCode.SyntaxError or (int)SmtpReplyCode.SyntaxErrorInParameters or (int)SmtpReplyCode.CommandNotImplemented
            or (int)SmtpReplyCode.ParameterNotImplemented or (int)SmtpReplyCode.MailboxUnavailable))
        {
            throw new SmtpReplyException(SmtpPhase.Ehlo, ehlo, "EHLO");
        }

        WriteCommand(SmtpPhase.Ehlo, static (w, n) => SmtpCommandWriter.WriteHelo(w, n), name);
        SmtpResponse helo = await FlushAndReadAsync(SmtpPhase.Ehlo, cancellationToken).ConfigureAwait(false);
        if (!helo.Is(SmtpReplyCode.Completed))
        {
            throw new SmtpReplyException(SmtpPhase.Ehlo, helo, "HELO");
        }

        _capabilities.Clear();
        UsedHelo = true;
        DecideSessionFeatures();
    }

    /// <summary>The EHLO name: configured, else the machine's FQDN, else an address literal (RFC 5321 section 4.1.4).</summary>
    private string EhloName()
    {
        if (!string.IsNullOrEmpty(_options.EhloName))
        {
            return _options.EhloName;
        }

        IPGlobalProperties properties = IPGlobalProperties.GetIPGlobalProperties();
        return DefaultEhloName(properties.HostName, properties.DomainName, (_localEndPoint as IPEndPoint)?.Address);
    }

    /// <summary>
    /// The machine's FQDN when it has a DNS one; otherwise the local address as a literal, since strict
    /// servers refuse a bare host name and an mDNS ".local" or NIS "(none)" domain is no DNS name.
    /// </summary>
    internal static string DefaultEhloName(string hostName, string domainName, IPAddress? localAddress)
    {
        string fqdn = hostName.Contains('.', StringComparison.Ordinal) || string.IsNullOrEmpty(domainName)
            ? hostName
            : $"{hostName}.{domainName.TrimStart('.')}";
        if (fqdn.Contains('.', StringComparison.Ordinal) && Uri.CheckHostName(fqdn) == UriHostNameType.Dns && !fqdn.EndsWith(".local", StringComparison.OrdinalIgnoreCase))
        {
            return fqdn;
        }

        // RFC 5321 section 4.1.3: "[192.0.2.1]" or "[IPv6:2001:db8::1]"; a dual-mode socket reports IPv4 as mapped IPv6.
        if (localAddress is { IsIPv4MappedToIPv6: true })
        {
            localAddress = localAddress.MapToIPv4();
        }

        return localAddress switch
        {
            { AddressFamily: AddressFamily.InterNetworkV6 } v6 => $"[IPv6:{v6}]",
            { } v4 => $"[{v4}]",
            null => "[127.0.0.1]",
        };
    }

    /// <summary>Sends NOOP and reads its reply.</summary>
    /// <param name="cancellationToken">Cancels the operation (and closes the connection).</param>
    /// <returns>The server's reply.</returns>
    public async Task<SmtpResponse> NoopAsync(CancellationToken cancellationToken = default)
    {
        WriteCommand(SmtpPhase.Other, static (w, _) => SmtpCommandWriter.WriteNoop(w), 0);
        SmtpResponse reply = await FlushAndReadAsync(SmtpPhase.Other, cancellationToken).ConfigureAwait(false);
        return reply.Is(SmtpReplyCode.Completed) ? reply : throw new SmtpReplyException(SmtpPhase.Other, reply, "NOOP");
    }

    /// <summary>Sends RSET, ending any transaction in progress (RFC 5321 section 4.1.1.5).</summary>
    /// <param name="cancellationToken">Cancels the operation (and closes the connection).</param>
    /// <returns>The server's reply.</returns>
    public async Task<SmtpResponse> ResetAsync(CancellationToken cancellationToken = default)
    {
        WriteCommand(SmtpPhase.Other, static (w, _) => SmtpCommandWriter.WriteRset(w), 0);
        SmtpResponse reply = await FlushAndReadAsync(SmtpPhase.Other, cancellationToken).ConfigureAwait(false);
        return reply.Is(SmtpReplyCode.Completed) ? reply : throw new SmtpReplyException(SmtpPhase.Other, reply, "RSET");
    }

    /// <summary>Sends QUIT, reads the 221 and closes the connection.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the connection is closed.</returns>
    public async Task QuitAsync(CancellationToken cancellationToken = default)
    {
        if (!IsConnected)
        {
            return;
        }

        try
        {
            WriteCommand(SmtpPhase.Other, static (w, _) => SmtpCommandWriter.WriteQuit(w), 0);
            await FlushAndReadAsync(SmtpPhase.Other, cancellationToken).ConfigureAwait(false);
        }
        catch (SmtpReplyException e) when (e.Reply.IsClosing)
        {
            // A 421 to QUIT closes the session all the same.
        }
        finally
        {
            await DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Closes the connection without QUIT.</summary>
    /// <returns>A task that completes when the stream is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;

        // Completing the writer flushes what it buffered, unless completed with an error: a broken
        // connection gets one, so that closing never writes to (or throws from) a dead stream.
        Exception? failure = _broken ? new IOException("The SMTP connection was closed after a failure.") : null;
        try
        {
            await _input.CompleteAsync(failure).ConfigureAwait(false);
            await _output.CompleteAsync(failure).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            // The peer is gone; there is nothing left to flush to.
        }

        if (!_broken && _stream is SslStream ssl)
        {
            try
            {
                // RFC 8446 section 6.1: a TLS session ends with close_notify, not with a bare FIN.
                await ssl.ShutdownAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
            {
                // The peer closed first; nothing is lost.
            }
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
        if (!ReferenceEquals(_stream, _transport))
        {
            await _transport.DisposeAsync().ConfigureAwait(false);
        }

        _timer.Dispose();
    }

    private static (PipeReader Input, PipeWriter Output) CreatePipes(Stream stream) =>
        (PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true)),
         PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)));
}
