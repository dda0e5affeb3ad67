using System;
using System.Buffers;
using SmtpCodec.Protocol;

namespace SmtpCodec.Sasl;

/// <summary>
/// LOGIN (draft-murchison-sasl-login-00): the server asks "Username:" then "Password:"; the client
/// answers each in turn. The prompts' wording is not checked, as servers vary. Use it only over TLS.
/// </summary>
public sealed class LoginSaslClient : SaslClient
{
    private readonly string _userName;
    private readonly string _password;

    /// <summary>Creates the client.</summary>
    /// <param name="userName">The user name.</param>
    /// <param name="password">The password.</param>
    /// <exception cref="ArgumentNullException">A value is null.</exception>
    public LoginSaslClient(string userName, string password)
    {
        // Each value is a whole base64 response with no inner syntax, so no character is refused.
        ArgumentNullException.ThrowIfNull(userName);
        ArgumentNullException.ThrowIfNull(password);
        _userName = userName;
        _password = password;
    }

    /// <inheritdoc/>
    public override SaslMechanism Mechanism => SaslMechanism.Login;

    /// <inheritdoc/>
    public override bool HasInitialResponse => false;

    /// <inheritdoc/>
    protected override OperationStatus Respond(ReadOnlySpan<byte> challenge, Span<byte> response, out int bytesWritten, out SmtpCodecError failure)
    {
        failure = SmtpCodecError.None;
        bytesWritten = 0;
        if (Step > 1)
        {
            failure = SmtpCodecError.InvalidServerChallenge;
            return OperationStatus.InvalidData;
        }

        var builder = new SaslResponseBuilder(response);
        builder.AppendUtf8(Step == 0 ? _userName : _password);
        if (builder.Overflowed)
        {
            return OperationStatus.DestinationTooSmall;
        }

        bytesWritten = builder.Length;
        IsComplete = Step == 1;
        return OperationStatus.Done;
    }
}
