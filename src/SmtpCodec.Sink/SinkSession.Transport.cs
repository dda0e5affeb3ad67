using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;

namespace SmtpCodec.Sink;

/// <summary>The connection under the session: its pipes, STARTTLS, and the graceful close.</summary>
internal sealed partial class SinkSession
{
    /// <summary>How long closing may take: the last replies leaving, then the client's leftovers read and dropped.</summary>
    private static readonly TimeSpan ClosingWait = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Ends a session the sink closes (QUIT, 421, an injected drop) as a well-behaved server does: TLS
    /// close_notify (RFC 8446 section 6.1), then FIN, then what the client had already pipelined is read and
    /// thrown away for a moment. Closing with unread input would send a reset, and a reset can destroy replies
    /// still on their way to the client, so it would miss 250s the sink sent and counted. A sink that is
    /// stopping does not wait.
    /// </summary>
    private async Task CloseGracefullyAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_stream is SslStream ssl)
            {
                await ssl.ShutdownAsync().ConfigureAwait(false);
            }

            ShutDownSending();
            using var linger = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            linger.CancelAfter(ClosingWait);
            long discarded = 0;
            while (discarded < MaxDiscardedOnClose)
            {
                ReadResult read = await _input.ReadAsync(linger.Token).ConfigureAwait(false);
                discarded += read.Buffer.Length;
                _input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted || read.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
            // The client is gone already or keeps sending: the connection closes either way.
        }
    }

    /// <summary>FIN: the client reads the replies sent so far, then the end of the stream.</summary>
    private void ShutDownSending()
    {
        try
        {
            (_transport as NetworkStream)?.Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed by the client.
        }
    }

    /// <summary>
    /// RFC 3207 section 4.2: anything the client pipelined after STARTTLS was already thrown away; the
    /// handshake starts on a clean stream, and everything learnt before it is forgotten. A handshake that
    /// fails (garbage for a ClientHello, a client refusing the certificate) or does not end within
    /// <see cref="SmtpSinkOptions.HandshakeTimeout"/> is the client's doing: the connection closes, with no
    /// reply possible in the middle of a handshake, and no session fault.
    /// </summary>
    /// <returns>False when the handshake failed: the session is over.</returns>
    private async Task<bool> StartTlsAsync(CancellationToken cancellationToken)
    {
        _startTlsRequested = false;
        await _input.CompleteAsync().ConfigureAwait(false);
        await _output.CompleteAsync().ConfigureAwait(false);
        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
        SuspendDeadline();
        using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            handshake.CancelAfter(_options.HandshakeTimeout);
            try
            {
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _sink.Certificate }, handshake.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (IsOrdinaryEnd(e) && !cancellationToken.IsCancellationRequested)
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
                return false;
            }
        }

        _stream = ssl;
        (_input, _output) = CreatePipes(ssl);
        StartDeadline();
        _tls = true;
        _greeted = false;
        _authenticated = false;
        Reset();
        return true;
    }

    /// <summary>
    /// Whether an exception ends a session the way clients end sessions (gone, reset, a failed TLS handshake) or
    /// the sink stopping; anything else is a session fault, a bug.
    /// </summary>
    internal static bool IsOrdinaryEnd(Exception e) =>
        e is IOException or OperationCanceledException or ObjectDisposedException or SocketException or AuthenticationException;

    private static (PipeReader Input, PipeWriter Output) CreatePipes(Stream stream) =>
        (PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true)), PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)));
}
