using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SmtpCodec.Protocol;
using SmtpCodec.Sasl;
using SmtpCodec.Text;

namespace SmtpCodec.Sink;

/// <summary>
/// AUTH (RFC 4954) against <see cref="SmtpSinkOptions.Users"/>: PLAIN, LOGIN, XOAUTH2, OAUTHBEARER, CRAM-MD5
/// and SCRAM-SHA-256. Wrong credentials get 535 5.7.8, a response that is not base64 501 5.5.2, and "*"
/// 501 5.0.0. Each 535 leaves <see cref="SmtpSinkOptions.AuthFailureDelay"/> late (250 ms), and the session reads nothing meanwhile;
/// after <see cref="MaxAuthFailures"/> of them the next AUTH gets 421 4.7.0 and the connection closes.
/// Once per connection, so strings are fine here.
/// </summary>
internal sealed partial class SinkSession
{
    /// <summary>Failed attempts a connection may make; the third still gets its 535 (a client may try three mechanisms).</summary>
    internal const int MaxAuthFailures = 3;

    // The error challenges of the OAuth mechanisms (RFC 7628 section 3.2.2; Google's XOAUTH2 sends the like).
    private static readonly byte[] s_oauthBearerError = Base64Line("""{"status":"invalid_token","schemes":"bearer"}""");
    private static readonly byte[] s_xoauth2Error = Base64Line("""{"status":"401","schemes":"bearer"}""");

    private bool _authenticated;
    private SaslStep _saslStep;
    private byte[]? _saslLine;
    private string? _loginUser;
    private byte[]? _cramChallenge;
    private ScramSha256ServerExchange? _scram;
    private int _authFailures;
    private bool _pauseAfterAuthFailure;

    /// <summary>The SASL exchange in progress: the next line is a response, not a command.</summary>
    private enum SaslStep
    {
        None,
        PlainResponse,
        LoginUser,
        LoginPassword,
        XOAuth2Response,
        OAuthBearerResponse,
        OAuthErrorAcknowledged,
        CramMd5Response,
        ScramClientFirst,
        ScramClientFinal,
        ScramAcknowledged,
    }

    /// <summary>AUTH mechanism [initial-response] (RFC 4954 section 4).</summary>
    private void Auth(ReadOnlySpan<byte> argument)
    {
        if (_authFailures >= MaxAuthFailures)
        {
            Write("421 4.7.0 Too many failed authentication attempts, closing connection\r\n"u8);
            _mode = Mode.Closing;
            return;
        }

        if (!_greeted || _authenticated || _inTransaction)
        {
            Write(_authenticated ? "503 5.5.1 Already authenticated\r\n"u8 : "503 5.5.1 AUTH not allowed now\r\n"u8);
            return;
        }

        int space = argument.IndexOf((byte)' ');
        ReadOnlySpan<byte> name = space < 0 ? argument : argument[..space];
        ReadOnlySpan<byte> initial = space < 0 ? default : argument[(space + 1)..];
        if (!SaslMechanismNames.TryParse(name, out SaslMechanism mechanism) || (_options.AuthMechanisms & SaslMechanismNames.ToFlag(mechanism)) == 0)
        {
            Write("504 5.5.4 Unrecognized authentication type\r\n"u8);
            return;
        }

        switch (mechanism)
        {
            case SaslMechanism.CramMd5:
                if (!initial.IsEmpty)
                {
                    // The server speaks first in CRAM-MD5 (RFC 2195 section 2): there is no initial response.
                    Write("501 5.5.4 CRAM-MD5 takes no initial response\r\n"u8);
                    return;
                }

                // A challenge never used before: a random part, the time and the server's name, as a msg-id.
                _cramChallenge = Encoding.ASCII.GetBytes(string.Create(
                    CultureInfo.InvariantCulture,
                    $"<{RandomNumberGenerator.GetHexString(16, lowercase: true)}.{DateTime.UtcNow.Ticks}@{_options.ServerName}>"));
                _saslStep = SaslStep.CramMd5Response;
                Write("334 "u8);
                Write(Base64Line(_cramChallenge));
                return;

            case SaslMechanism.Login:
                _saslStep = SaslStep.LoginUser;
                if (initial.IsEmpty)
                {
                    Write("334 VXNlcm5hbWU6\r\n"u8);
                    return;
                }

                break;

            default:
                _saslStep = mechanism switch
                {
                    SaslMechanism.Plain => SaslStep.PlainResponse,
                    SaslMechanism.XOAuth2 => SaslStep.XOAuth2Response,
                    SaslMechanism.OAuthBearer => SaslStep.OAuthBearerResponse,
                    _ => SaslStep.ScramClientFirst,
                };
                if (initial.IsEmpty)
                {
                    // The client's message follows the empty challenge (RFC 4954 section 4), as in the seed article.
                    Write("334 \r\n"u8);
                    return;
                }

                break;
        }

        SaslResponse(initial);
    }

    /// <summary>A line answering a 334 (or an initial response): "*" cancels (RFC 4954 section 4), anything else is base64.</summary>
    private void SaslResponse(ReadOnlySpan<byte> line)
    {
        SaslStep step = _saslStep;
        _saslStep = SaslStep.None;
        if (line.SequenceEqual("*"u8))
        {
            EndSasl();
            Write("501 5.0.0 Authentication cancelled\r\n"u8);
            return;
        }

        // "=" is an empty response (RFC 4954 section 4).
        ReadOnlySpan<byte> text = line.SequenceEqual("="u8) ? default : line;
        byte[] decoded = new byte[Base64.GetMaxDecodedFromUtf8Length(text.Length)];
        if (StrictBase64.Decode(text, decoded, out int length) != SmtpCodecError.None)
        {
            EndSasl();
            Write("501 5.5.2 Cannot decode response\r\n"u8);
            return;
        }

        ReadOnlySpan<byte> response = decoded.AsSpan(0, length);
        switch (step)
        {
            case SaslStep.PlainResponse:
                Plain(response);
                return;

            case SaslStep.LoginUser:
                _loginUser = Encoding.UTF8.GetString(response);
                _saslStep = SaslStep.LoginPassword;
                Write("334 UGFzc3dvcmQ6\r\n"u8);
                return;

            case SaslStep.LoginPassword:
                Authenticate(_loginUser ?? "", response);
                return;

            case SaslStep.XOAuth2Response:
            case SaslStep.OAuthBearerResponse:
                OAuth(response, step == SaslStep.XOAuth2Response);
                return;

            case SaslStep.OAuthErrorAcknowledged:
                // After the error challenge the client's answer carries nothing; the failure is final (RFC 7628 section 3.2.3).
                EndSasl();
                RefuseCredentials();
                return;

            case SaslStep.CramMd5Response:
                CramMd5(response);
                return;

            default:
                Scram(step, response);
                return;
        }
    }

    private void Authenticate(string user, ReadOnlySpan<byte> secret)
    {
        _loginUser = null;
        if (SecretMatches(user, secret))
        {
            Accept();
        }
        else
        {
            RefuseCredentials();
        }
    }

    private bool SecretMatches(string user, ReadOnlySpan<byte> secret) =>
        _options.Users.TryGetValue(user, out string? expected) && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), secret);

    private bool AnySecretMatches(ReadOnlySpan<byte> secret)
    {
        bool found = false;
        foreach (string expected in _options.Users.Values)
        {
            found |= CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), secret);
        }

        return found;
    }

    private void Accept()
    {
        EndSasl();
        _authenticated = true;
        Write("235 2.7.0 Authentication successful\r\n"u8);
    }

    private void RefuseCredentials()
    {
        _authFailures++;
        _pauseAfterAuthFailure = true;
        Write("535 5.7.8 Authentication credentials invalid\r\n"u8);
    }

    /// <summary>Forgets the exchange in progress (done, refused, cancelled or cut short).</summary>
    private void EndSasl()
    {
        _saslStep = SaslStep.None;
        _loginUser = null;
        _cramChallenge = null;
        _scram = null;
    }

    private static byte[] Base64Line(string text) => Base64Line(Encoding.UTF8.GetBytes(text));

    private static byte[] Base64Line(ReadOnlySpan<byte> raw) => Encoding.ASCII.GetBytes(Convert.ToBase64String(raw) + "\r\n");
}
