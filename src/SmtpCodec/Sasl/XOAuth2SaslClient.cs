using System;
using System.Buffers;
using SmtpCodec.Protocol;

namespace SmtpCodec.Sasl;

/// <summary>
/// XOAUTH2 (Google and Microsoft): <c>user=</c>name ^A <c>auth=Bearer </c>token ^A ^A. A failure comes
/// as a 334 carrying a JSON error; the client answers it with an empty response and the server then
/// sends its 5xx.
/// </summary>
public sealed class XOAuth2SaslClient : SaslClient
{
    private readonly string _userName;
    private readonly string _accessToken;

    /// <summary>Creates the client.</summary>
    /// <param name="userName">The account's address.</param>
    /// <param name="accessToken">The OAuth 2.0 access token.</param>
    /// <exception cref="ArgumentException">A value holds NUL or ^A, its field separator.</exception>
    public XOAuth2SaslClient(string userName, string accessToken)
    {
        RefuseOAuthSeparators(userName, nameof(userName));
        RefuseOAuthSeparators(accessToken, nameof(accessToken));

        _userName = userName;
        _accessToken = accessToken;
    }

    /// <inheritdoc/>
    public override SaslMechanism Mechanism => SaslMechanism.XOAuth2;

    /// <inheritdoc/>
    public override bool HasInitialResponse => true;

    /// <summary>Whether the server answered with an error challenge (its JSON is in the challenge that was passed).</summary>
    public bool ServerReportedError { get; private set; }

    /// <inheritdoc/>
    protected override OperationStatus Respond(ReadOnlySpan<byte> challenge, Span<byte> response, out int bytesWritten, out SmtpCodecError failure)
    {
        failure = SmtpCodecError.None;
        bytesWritten = 0;
        if (Step > 0)
        {
            // A challenge after the client's message is the server's error; an empty response lets it send the final reply.
            ServerReportedError = true;
            IsComplete = true;
            return OperationStatus.Done;
        }

        var builder = new SaslResponseBuilder(response);
        builder.Append("user="u8);
        builder.AppendUtf8(_userName);
        builder.Append("\u0001auth=Bearer "u8);
        builder.AppendUtf8(_accessToken);
        builder.Append("\u0001\u0001"u8);
        if (builder.Overflowed)
        {
            return OperationStatus.DestinationTooSmall;
        }

        bytesWritten = builder.Length;
        return OperationStatus.Done;
    }
}
