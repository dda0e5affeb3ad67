using System;
using System.Buffers;
using System.Buffers.Text;
using SmtpCodec.Protocol;

namespace SmtpCodec.Sasl;

/// <summary>
/// The client side of a SASL mechanism as pure codec steps (RFC 4422, RFC 4954): no I/O. The caller
/// sends <see cref="WriteInitialResponse"/> with AUTH when <see cref="HasInitialResponse"/> is set,
/// then answers each 334 challenge (decoded with <see cref="DecodeChallenge"/>) with
/// <see cref="EvaluateChallenge"/>. Responses are raw bytes: the command writer base64-encodes them.
/// </summary>
public abstract class SaslClient
{
    /// <summary>The mechanism this client speaks.</summary>
    public abstract SaslMechanism Mechanism { get; }

    /// <summary>Whether the mechanism starts with a client response, sent with the AUTH command (RFC 4954 section 4).</summary>
    public abstract bool HasInitialResponse { get; }

    /// <summary>Whether the client has sent everything and, where the mechanism has one, verified the server's proof.</summary>
    public bool IsComplete { get; protected set; }

    /// <summary>Makes the client for <paramref name="mechanism"/>, one of those <see cref="SaslMechanismNames.IsClientSupported"/> accepts.</summary>
    /// <param name="mechanism">The mechanism.</param>
    /// <param name="userName">The user name.</param>
    /// <param name="secret">The password, or the OAuth 2.0 access token for XOAUTH2 and OAUTHBEARER.</param>
    /// <returns>A new client.</returns>
    /// <exception cref="ArgumentException">The mechanism has no client, or a credential is not usable by it.</exception>
    public static SaslClient Create(SaslMechanism mechanism, string userName, string secret) => mechanism switch
    {
        SaslMechanism.Plain => new PlainSaslClient(userName, secret),
        SaslMechanism.Login => new LoginSaslClient(userName, secret),
        SaslMechanism.XOAuth2 => new XOAuth2SaslClient(userName, secret),
        SaslMechanism.OAuthBearer => new OAuthBearerSaslClient(userName, secret),
        SaslMechanism.CramMd5 => new CramMd5SaslClient(userName, secret),
        SaslMechanism.ScramSha256 => new ScramSha256SaslClient(userName, secret),
        _ => throw new ArgumentException($"SmtpCodec has no client for the SASL mechanism {mechanism}.", nameof(mechanism)),
    };

    /// <summary>Decodes the base64 text of a 334 reply into the raw challenge (RFC 4954 section 4).</summary>
    /// <param name="base64Text">The reply text after "334 ".</param>
    /// <param name="challenge">Where the decoded challenge goes; 3/4 of the text's length suffices.</param>
    /// <param name="bytesWritten">The length of the challenge.</param>
    /// <returns>None, <see cref="SmtpCodecError.InvalidBase64"/> (also for any whitespace in the text), or <see cref="SmtpCodecError.DestinationTooSmall"/>.</returns>
    public static SmtpCodecError DecodeChallenge(ReadOnlySpan<byte> base64Text, Span<byte> challenge, out int bytesWritten) =>
        StrictBase64.Decode(base64Text, challenge, out bytesWritten);

    /// <summary>
    /// Writes the initial response, sent with the AUTH command (RFC 4954 section 4). When the AUTH line
    /// would pass 512 octets, <see cref="Commands.SmtpCommandWriter.WriteAuth(IBufferWriter{byte}, SaslMechanism, ReadOnlySpan{byte})"/>
    /// defers it: send these same bytes with <see cref="Commands.SmtpCommandWriter.WriteAuthResponse"/> after
    /// the server's empty 334, either kept from this call or written again by a second call. Until the first
    /// <see cref="EvaluateChallenge"/>, every call writes the same response; do not pass the empty 334 to
    /// <see cref="EvaluateChallenge"/>, which would take it for the mechanism's next challenge.
    /// </summary>
    /// <param name="response">Where the raw response goes.</param>
    /// <param name="bytesWritten">The length of the response.</param>
    /// <param name="error">Why the step failed, on InvalidData.</param>
    /// <returns>Done, DestinationTooSmall (nothing changed: retry with more room) or InvalidData.</returns>
    /// <exception cref="InvalidOperationException">The mechanism has no initial response, or a challenge was already answered.</exception>
    public OperationStatus WriteInitialResponse(Span<byte> response, out int bytesWritten, out SmtpCodecError error)
    {
        if (!HasInitialResponse || _challengeAnswered)
        {
            throw new InvalidOperationException($"{SaslMechanismNames.GetName(Mechanism)} has no initial response to write now.");
        }

        // The first step depends only on the credentials, so writing it again gives the same bytes.
        int step = Step;
        Step = 0;
        OperationStatus status = Respond([], response, out bytesWritten, out error);
        Step = status == OperationStatus.Done ? 1 : step;
        return status;
    }

    /// <summary>Answers a server challenge (the decoded text of a 334 reply).</summary>
    /// <param name="challenge">The raw challenge.</param>
    /// <param name="response">Where the raw response goes.</param>
    /// <param name="bytesWritten">The length of the response (0 is an empty line).</param>
    /// <param name="error">Why the step failed, on InvalidData.</param>
    /// <returns>Done, DestinationTooSmall (nothing changed: retry with more room) or InvalidData (cancel with <c>*</c>).</returns>
    public OperationStatus EvaluateChallenge(ReadOnlySpan<byte> challenge, Span<byte> response, out int bytesWritten, out SmtpCodecError error)
    {
        OperationStatus status = Respond(challenge, response, out bytesWritten, out error);
        if (status != OperationStatus.DestinationTooSmall)
        {
            _challengeAnswered = true;
        }

        if (status == OperationStatus.Done)
        {
            Step++;
        }

        return status;
    }

    /// <summary>How many responses were written so far.</summary>
    protected int Step { get; private set; }

    private bool _challengeAnswered;

    /// <summary>Computes the next response; must leave the state unchanged when it returns DestinationTooSmall.</summary>
    /// <param name="challenge">The raw challenge, empty for the initial response.</param>
    /// <param name="response">Where the raw response goes.</param>
    /// <param name="bytesWritten">The length of the response.</param>
    /// <param name="failure">Why the step failed, on InvalidData.</param>
    /// <returns>Done, DestinationTooSmall or InvalidData.</returns>
    protected abstract OperationStatus Respond(ReadOnlySpan<byte> challenge, Span<byte> response, out int bytesWritten, out SmtpCodecError failure);

    /// <summary>Refuses NUL, which separates the fields of PLAIN (RFC 4616 section 2) and ends C strings in servers.</summary>
    /// <param name="value">The credential.</param>
    /// <param name="parameterName">Its parameter name.</param>
    /// <exception cref="ArgumentException">The credential holds NUL.</exception>
    protected static void RefuseNul(string value, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(value, parameterName);
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("This SASL credential cannot hold NUL: the mechanism uses it as a separator.", parameterName);
        }
    }

    /// <summary>Refuses NUL and ^A, the key-value separator of XOAUTH2 and OAUTHBEARER (RFC 7628 section 3.1).</summary>
    /// <param name="value">The value.</param>
    /// <param name="parameterName">Its parameter name.</param>
    /// <exception cref="ArgumentException">The value holds NUL or ^A.</exception>
    private protected static void RefuseOAuthSeparators(string value, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(value, parameterName);
        if (value.AsSpan().IndexOfAny('\0', '\u0001') >= 0)
        {
            throw new ArgumentException("An OAuth SASL value cannot hold NUL or ^A, the separator of its fields (RFC 7628 section 3.1).", parameterName);
        }
    }
}
