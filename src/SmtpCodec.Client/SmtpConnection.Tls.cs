using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using SmtpCodec.Commands;
using SmtpCodec.Protocol;

namespace SmtpCodec.Client;

/// <summary>STARTTLS (RFC 3207) and implicit TLS.</summary>
public sealed partial class SmtpConnection
{
    private async Task StartTlsAsync(CancellationToken cancellationToken)
    {
        if (!_capabilities.Supports(EhloKeyword.StartTls))
        {
            if (_tlsMode == SmtpTlsMode.StartTlsRequired)
            {
                await CloseAfterFailureAsync().ConfigureAwait(false);
                throw new SmtpException(SmtpPhase.StartTls, "The server does not offer STARTTLS, and the options require TLS: nothing was sent in the clear.", isTransient: false);
            }

            return;
        }

        WriteCommand(SmtpPhase.StartTls, static (w, _) => SmtpCommandWriter.WriteStartTls(w), 0);
        SmtpResponse reply = await FlushAndReadAsync(SmtpPhase.StartTls, cancellationToken).ConfigureAwait(false);
        if (!reply.Is(SmtpReplyCode.ServiceReady))
        {
            if (_tlsMode == SmtpTlsMode.StartTlsRequired)
            {
                await CloseAfterFailureAsync().ConfigureAwait(false);
                throw new SmtpReplyException(SmtpPhase.StartTls, reply, "STARTTLS");
            }

            return;
        }

        // RFC 3207 section 4.2 and CVE-2011-0411: nothing the server sent before the handshake may
        // reach the TLS session. Bytes already buffered after the 220 are an injection attempt.
        if (_input.TryRead(out ReadResult early))
        {
            long extra = early.Buffer.Length;
            _input.AdvanceTo(early.Buffer.Start);
            if (extra > 0)
            {
                await CloseAfterFailureAsync().ConfigureAwait(false);
                throw new SmtpProtocolException(
                    SmtpPhase.StartTls,
                    $"The server sent {extra} byte(s) after its 220 to STARTTLS and before the TLS handshake; they are refused rather than carried into the TLS session.");
            }
        }

        await HandshakeAsync(SmtpPhase.StartTls, cancellationToken).ConfigureAwait(false);

        // RFC 3207 section 4.2: forget what was learnt in the clear and ask again.
        _capabilities.Clear();
        await HelloAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Replaces the pipes with new ones over an <see cref="SslStream"/> on the transport.</summary>
    private async Task HandshakeAsync(SmtpPhase phase, CancellationToken cancellationToken)
    {
        await _input.CompleteAsync().ConfigureAwait(false);
        await _output.CompleteAsync().ConfigureAwait(false);
        var ssl = new SslStream(_transport, leaveInnerStreamOpen: true);
        _stream = ssl;
        (_input, _output) = CreatePipes(ssl);
        TimeSpan timeout = _options.Timeouts.For(phase == SmtpPhase.Connect ? SmtpPhase.Connect : SmtpPhase.StartTls);
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        var diagnosis = new TlsDiagnosis();
        try
        {
            await ssl.AuthenticateAsClientAsync(_options.Tls.ToAuthenticationOptions(_host, diagnosis), timer.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Broken(new SmtpTimeoutException(phase, timeout));
        }
        catch (AuthenticationException e)
        {
            // One line with the cause: the certificate check's reason, else what the TLS library said (inner exceptions).
            string cause = diagnosis.Reason ?? Causes(e);
            throw Broken(new SmtpException(phase, $"The TLS handshake with {_options.Tls.TargetHost ?? _host} failed: {cause}", isTransient: false, e));
        }
        catch (IOException e)
        {
            throw Broken(new SmtpProtocolException(phase, $"The connection failed during the TLS handshake: {Causes(e)}", isTransient: true, e));
        }

        Note(SmtpTranscriptDirection.Note, $"TLS established: {ssl.SslProtocol}, {ssl.NegotiatedCipherSuite}");
    }

    /// <summary>An exception's message and those of its inner exceptions, on one line, each said once.</summary>
    internal static string Causes(Exception exception)
    {
        var parts = new List<string>();
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            string text = e.Message.ReplaceLineEndings(" ").Trim().TrimEnd('.');
            if (text.Length > 0 && !parts.Contains(text, StringComparer.Ordinal) && !text.EndsWith("see inner exception", StringComparison.OrdinalIgnoreCase))
            {
                parts.Add(text);
            }
        }

        return parts.Count == 0 ? exception.GetType().Name : string.Join(": ", parts);
    }
}
