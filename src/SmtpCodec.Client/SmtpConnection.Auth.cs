using System.Buffers;
using System.Text;
using SmtpCodec.Commands;
using SmtpCodec.Protocol;
using SmtpCodec.Sasl;

namespace SmtpCodec.Client;

/// <summary>AUTH (RFC 4954) with the codec's SASL clients.</summary>
public sealed partial class SmtpConnection
{
    // Strongest first. Any of them only over TLS unless the options allow AUTH without it.
    private static readonly SaslMechanism[] s_passwordPreference =
        [SaslMechanism.ScramSha256, SaslMechanism.CramMd5, SaslMechanism.Plain, SaslMechanism.Login];

    /// <summary>AUTH with credentials from the provider; refused ones (535) are refreshed once and tried again.</summary>
    private async Task AuthenticateWithProviderAsync(Func<SmtpCredentialsRequest, CancellationToken, ValueTask<SmtpCredentials>> provider, CancellationToken cancellationToken)
    {
        SmtpCredentials first = await provider(new SmtpCredentialsRequest(_host, default), cancellationToken).ConfigureAwait(false)
            ?? throw new SmtpException(SmtpPhase.Auth, "The credentials provider returned no credentials.", isTransient: false);
        try
        {
            await AuthenticateAsync(first, cancellationToken).ConfigureAwait(false);
        }
        catch (SmtpReplyException refused) when (refused.Reply.Is(SmtpReplyCode.AuthenticationCredentialsInvalid) && IsConnected)
        {
            SmtpCredentials fresh = await provider(new SmtpCredentialsRequest(_host, refused.Reply), cancellationToken).ConfigureAwait(false)
                ?? throw new SmtpException(SmtpPhase.Auth, "The credentials provider returned no credentials to replace refused ones.", isTransient: false);
            await AuthenticateAsync(fresh, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task AuthenticateAsync(SmtpCredentials credentials, CancellationToken cancellationToken)
    {
        SaslMechanism mechanism = ChooseMechanism(credentials);
        SaslClient sasl = SaslClient.Create(mechanism, credentials.UserName, credentials.Secret);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            // The initial response, computed once: sent with AUTH, or after the server's empty 334 when
            // the options say so or when AUTH with it would pass 512 octets (RFC 4954 section 4).
            int initialLength = sasl.HasInitialResponse ? Respond(sasl, [], ref buffer, initial: true) : -1;
            bool pendingInitial = initialLength >= 0;
            if (pendingInitial && _options.SendInitialResponseWithAuth)
            {
                bool deferred = false;
                WriteCommand(
                    SmtpPhase.Auth,
                    (w, s) =>
                    {
                        CommandWriteResult result = SmtpCommandWriter.WriteAuth(w, s.Mechanism, s.Response.Span);
                        deferred = result.InitialResponseDeferred;
                        return result;
                    },
                    (Mechanism: mechanism, Response: buffer.AsMemory(0, initialLength)),
                    secret: true);
                pendingInitial = deferred;
            }
            else
            {
                WriteCommand(SmtpPhase.Auth, static (w, m) => SmtpCommandWriter.WriteAuth(w, m), mechanism);
            }

            while (true)
            {
                SmtpResponse reply = await FlushAndReadAsync(SmtpPhase.Auth, cancellationToken).ConfigureAwait(false);
                if (reply.Is(SmtpReplyCode.AuthenticationSucceeded))
                {
                    if (mechanism == SaslMechanism.ScramSha256 && !sasl.IsComplete)
                    {
                        // RFC 5802 section 5: without the server's signature the server never proved it knows the password.
                        await CloseAfterFailureAsync().ConfigureAwait(false);
                        throw new SmtpException(SmtpPhase.Auth, "The server accepted SCRAM-SHA-256 without proving its identity (no server signature); the connection is closed.", isTransient: false);
                    }

                    IsAuthenticated = true;
                    AuthenticatedWith = mechanism;
                    return;
                }

                if (!reply.Is(SmtpReplyCode.AuthenticationChallenge))
                {
                    throw new SmtpReplyException(SmtpPhase.Auth, reply, $"AUTH {SaslMechanismNames.GetName(mechanism)}");
                }

                int responseLength;
                if (pendingInitial)
                {
                    pendingInitial = false;
                    responseLength = initialLength;
                }
                else
                {
                    byte[] challenge = Encoding.ASCII.GetBytes(reply.Text);
                    byte[] decoded = new byte[(challenge.Length / 4 * 3) + 3];
                    SmtpCodecError decodeError = SaslClient.DecodeChallenge(challenge, decoded, out int decodedLength);
                    if (decodeError != SmtpCodecError.None)
                    {
                        await CancelAuthAsync(cancellationToken).ConfigureAwait(false);
                        throw new SmtpProtocolException(SmtpPhase.Auth, $"The server's AUTH challenge is not valid base64: {SmtpCodecErrors.GetMessage(decodeError)}");
                    }

                    responseLength = Respond(sasl, decoded.AsSpan(0, decodedLength), ref buffer, initial: false);
                    if (responseLength < 0)
                    {
                        SmtpCodecError failure = (SmtpCodecError)(-responseLength);
                        await CancelAuthAsync(cancellationToken).ConfigureAwait(false);
                        throw new SmtpException(SmtpPhase.Auth, $"AUTH {SaslMechanismNames.GetName(mechanism)} was cancelled: {SmtpCodecErrors.GetMessage(failure)}", isTransient: false);
                    }
                }

                WriteCommand(SmtpPhase.Auth, static (w, r) => SmtpCommandWriter.WriteAuthResponse(w, r.Span), buffer.AsMemory(0, responseLength), secret: true);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }

    /// <summary>Computes the next SASL response into <paramref name="buffer"/>; a negative result is a negated error.</summary>
    private static int Respond(SaslClient sasl, ReadOnlySpan<byte> challenge, ref byte[] buffer, bool initial)
    {
        while (true)
        {
            OperationStatus status = initial
                ? sasl.WriteInitialResponse(buffer, out int written, out SmtpCodecError error)
                : sasl.EvaluateChallenge(challenge, buffer, out written, out error);
            switch (status)
            {
                case OperationStatus.Done:
                    return written;
                case OperationStatus.DestinationTooSmall:
                    byte[] larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
                    buffer = larger;
                    break;
                default:
                    return -(int)error;
            }
        }
    }

    /// <summary>Sends "*" to abandon the exchange (RFC 4954 section 4) and reads the server's 501.</summary>
    private async Task CancelAuthAsync(CancellationToken cancellationToken)
    {
        WriteCommand(SmtpPhase.Auth, static (w, _) => SmtpCommandWriter.WriteAuthCancel(w), 0);
        await FlushAndReadAsync(SmtpPhase.Auth, cancellationToken).ConfigureAwait(false);
    }

    private SaslMechanism ChooseMechanism(SmtpCredentials credentials)
    {
        SaslMechanismFlags offered = _capabilities.AuthMechanisms;
        if (!_capabilities.Supports(EhloKeyword.Auth))
        {
            throw new SmtpException(SmtpPhase.Auth, "The server does not offer AUTH, and credentials were given.", isTransient: false);
        }

        if (!IsEncrypted && !_options.AllowAuthenticationWithoutTls)
        {
            // Without TLS every mechanism gives something away: PLAIN, LOGIN, XOAUTH2 and OAUTHBEARER the password or
            // token itself, CRAM-MD5 and SCRAM-SHA-256 an exchange from which the password can be guessed offline.
            string what = credentials.Mechanism == SaslMechanism.None ? "AUTH" : $"AUTH {SaslMechanismNames.GetName(credentials.Mechanism)}";
            throw new SmtpException(
                SmtpPhase.Auth,
                $"{what} over a connection without TLS would expose the credentials (the secret itself, or an exchange open to offline guessing); nothing was sent. Use TLS, or allow it explicitly (AllowAuthenticationWithoutTls).",
                isTransient: false);
        }

        if (credentials.Mechanism != SaslMechanism.None)
        {
            if ((offered & SaslMechanismNames.ToFlag(credentials.Mechanism)) == 0)
            {
                throw new SmtpException(SmtpPhase.Auth, $"The server does not offer {SaslMechanismNames.GetName(credentials.Mechanism)}; it offers {Encoding.ASCII.GetString(_capabilities.GetParameters(EhloKeyword.Auth))}.", isTransient: false);
            }

            return credentials.Mechanism;
        }

        foreach (SaslMechanism candidate in s_passwordPreference)
        {
            if ((offered & SaslMechanismNames.ToFlag(candidate)) != 0)
            {
                return candidate;
            }
        }

        throw new SmtpException(
            SmtpPhase.Auth,
            $"No password mechanism in common: the server offers {Encoding.ASCII.GetString(_capabilities.GetParameters(EhloKeyword.Auth))}.",
            isTransient: false);
    }
}
