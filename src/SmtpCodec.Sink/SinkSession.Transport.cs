using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;

namespace SmtpCodec.Sink;

/// <summary>The connection under the session: its pipes, STARTTLS, and the graceful close.</summary>
internal sealed partial class SinkSession
{
    /// <summary>
    /// Ends a session the sink closes (QUIT, 421, an injected drop) as a well-behaved server does: TLS
    /// close_notify (RFC 8446 section 6.1), then FIN, then what the client had already pipelined is read and
    /// thrown away for a moment. Closing with unread input would send a reset, and a reset can destroy replies
    /// still on their way to the client, so it would miss 250s the sink sent and counted.
    /// </summary>
    private async Task CloseGracefullyAsync()
    {
        try
        {
            if (_stream is SslStream ssl)
            {
                await ssl.ShutdownAsync().ConfigureAwait(false);
            }

            (_transport as NetworkStream)?.Socket.Shutdown(SocketShutdown.Send);
            using var linger = new CancellationTokenSource(TimeSpan.FromSeconds(2));
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

    /// <summary>
    /// RFC 3207 section 4.2: anything the client pipelined after STARTTLS was already thrown away; the
    /// handshake starts on a clean stream, and everything learnt before it is forgotten.
    /// </summary>
    private async Task StartTlsAsync(CancellationToken cancellationToken)
    {
        _startTlsRequested = false;
        await _input.CompleteAsync().ConfigureAwait(false);
        await _output.CompleteAsync().ConfigureAwait(false);
        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _sink.Certificate }, cancellationToken).ConfigureAwait(false);
        _stream = ssl;
        (_input, _output) = CreatePipes(ssl);
        _tls = true;
        _greeted = false;
        _authenticated = false;
        Reset();
    }

    private static (PipeReader Input, PipeWriter Output) CreatePipes(Stream stream) =>
        (PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true)), PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)));
}
