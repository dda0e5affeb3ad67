using System;
using System.Buffers;
using SmtpCodec.Protocol;

namespace SmtpCodec.Sasl;

/// <summary>PLAIN (RFC 4616): one message, authzid NUL authcid NUL passwd, in UTF-8. Use it only over TLS.</summary>
public sealed class PlainSaslClient : SaslClient
{
    private readonly string _userName;
    private readonly string _password;
    private readonly string _authorizationId;

    /// <summary>Creates the client.</summary>
    /// <param name="userName">The authentication identity.</param>
    /// <param name="password">The password.</param>
    /// <param name="authorizationId">The identity to act as; empty to act as <paramref name="userName"/>.</param>
    /// <exception cref="ArgumentException">A value holds NUL, the field separator (RFC 4616 section 2).</exception>
    public PlainSaslClient(string userName, string password, string authorizationId = "")
    {
        // SAFE is any UTF-8 but NUL (RFC 4616 section 2); line breaks are fine, as the message travels in base64.
        RefuseNul(userName, nameof(userName));
        RefuseNul(password, nameof(password));
        RefuseNul(authorizationId, nameof(authorizationId));
        _userName = userName;
        _password = password;
        _authorizationId = authorizationId;
    }

    /// <inheritdoc/>
    public override SaslMechanism Mechanism => SaslMechanism.Plain;

    /// <inheritdoc/>
    public override bool HasInitialResponse => true;

    /// <inheritdoc/>
    protected override OperationStatus Respond(ReadOnlySpan<byte> challenge, Span<byte> response, out int bytesWritten, out SmtpCodecError failure)
    {
        failure = SmtpCodecError.None;
        bytesWritten = 0;

        // The message is sent once, with AUTH or after an empty 334 (RFC 4616 section 2); a further challenge is not in the mechanism.
        if (Step > 0 || !challenge.IsEmpty)
        {
            failure = SmtpCodecError.InvalidServerChallenge;
            return OperationStatus.InvalidData;
        }

        var builder = new SaslResponseBuilder(response);
        builder.AppendUtf8(_authorizationId);
        builder.Append(0);
        builder.AppendUtf8(_userName);
        builder.Append(0);
        builder.AppendUtf8(_password);
        if (builder.Overflowed)
        {
            return OperationStatus.DestinationTooSmall;
        }

        bytesWritten = builder.Length;
        IsComplete = true;
        return OperationStatus.Done;
    }
}
