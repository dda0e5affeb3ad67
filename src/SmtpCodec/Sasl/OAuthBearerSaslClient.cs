using System;
using System.Buffers;
using System.Globalization;
using SmtpCodec.Protocol;

namespace SmtpCodec.Sasl;

/// <summary>
/// OAUTHBEARER (RFC 7628): a GS2 header naming the user, then host, port and the bearer token as
/// ^A-separated key-value pairs. A failure comes as a 334 with a JSON error, which the client answers
/// with a single ^A (RFC 7628 section 3.2.3).
/// </summary>
public sealed class OAuthBearerSaslClient : SaslClient
{
    private readonly string _userName;
    private readonly string _accessToken;
    private readonly string? _host;
    private readonly int _port;

    /// <summary>Creates the client.</summary>
    /// <param name="userName">The authorization identity sent in the GS2 header; empty to send none.</param>
    /// <param name="accessToken">The OAuth 2.0 access token.</param>
    /// <param name="host">The server's host name sent as <c>host=</c>, or null.</param>
    /// <param name="port">The server's port sent as <c>port=</c>, or 0 for none.</param>
    /// <exception cref="ArgumentException">A value holds NUL or ^A (RFC 7628 section 3.1), or the port is out of range.</exception>
    public OAuthBearerSaslClient(string userName, string accessToken, string? host = null, int port = 0)
    {
        RefuseOAuthSeparators(userName, nameof(userName));
        RefuseOAuthSeparators(accessToken, nameof(accessToken));
        if (host is not null)
        {
            RefuseOAuthSeparators(host, nameof(host));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        _userName = userName;
        _accessToken = accessToken;
        _host = host;
        _port = port;
    }

    /// <inheritdoc/>
    public override SaslMechanism Mechanism => SaslMechanism.OAuthBearer;

    /// <inheritdoc/>
    public override bool HasInitialResponse => true;

    /// <summary>Whether the server answered with an error challenge (its JSON is in the challenge that was passed).</summary>
    public bool ServerReportedError { get; private set; }

    /// <inheritdoc/>
    protected override OperationStatus Respond(ReadOnlySpan<byte> challenge, Span<byte> response, out int bytesWritten, out SmtpCodecError failure)
    {
        failure = SmtpCodecError.None;
        bytesWritten = 0;
        var builder = new SaslResponseBuilder(response);
        if (Step > 0)
        {
            // The client answers an error challenge with a lone %x01 (RFC 7628 section 3.2.3).
            builder.Append(0x01);
            if (builder.Overflowed)
            {
                return OperationStatus.DestinationTooSmall;
            }

            ServerReportedError = true;
            IsComplete = true;
            bytesWritten = builder.Length;
            return OperationStatus.Done;
        }

        // gs2-header = "n," ["a=" saslname] "," (RFC 7628 section 3.1, RFC 5801 section 4).
        builder.Append("n,"u8);
        if (_userName.Length > 0)
        {
            builder.Append("a="u8);
            builder.AppendSaslName(_userName);
        }

        builder.Append((byte)',');
        if (_host is not null)
        {
            builder.Append("\u0001host="u8);
            builder.AppendUtf8(_host);
        }

        if (_port != 0)
        {
            builder.Append("\u0001port="u8);
            builder.AppendUtf8(_port.ToString(CultureInfo.InvariantCulture));
        }

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
