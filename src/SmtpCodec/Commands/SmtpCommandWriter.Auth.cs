using System;
using System.Buffers;
using System.Buffers.Text;
using SmtpCodec.Protocol;

namespace SmtpCodec.Commands;

// AUTH (RFC 4954 section 4): the command with its optional initial response, the lines after a 334, the cancel.
public static partial class SmtpCommandWriter
{
    /// <summary>The longest line a client sends after a 334, CRLF included (RFC 4954 section 4).</summary>
    public const int MaxAuthResponseLineLength = 12288;

    /// <summary>Writes <c>AUTH mechanism</c> with no initial response (RFC 4954 section 4).</summary>
    /// <param name="destination">Where the line goes.</param>
    /// <param name="mechanism">The SASL mechanism.</param>
    /// <returns>The bytes written, or the error and the argument.</returns>
    public static CommandWriteResult WriteAuth(IBufferWriter<byte> destination, SaslMechanism mechanism) =>
        WriteAuth(destination, mechanism, [], hasInitialResponse: false);

    /// <summary>
    /// Writes <c>AUTH mechanism initial-response</c> (RFC 4954 section 4): the response base64-encoded,
    /// or <c>=</c> when it is empty. When the line would pass 512 octets, only <c>AUTH mechanism</c> is
    /// written and <see cref="CommandWriteResult.InitialResponseDeferred"/> is set: send the response with
    /// <see cref="WriteAuthResponse"/> after the server's 334.
    /// </summary>
    /// <param name="destination">Where the line goes.</param>
    /// <param name="mechanism">The SASL mechanism.</param>
    /// <param name="initialResponse">The raw (not yet base64) initial response.</param>
    /// <returns>The bytes written, or the error and the argument.</returns>
    public static CommandWriteResult WriteAuth(IBufferWriter<byte> destination, SaslMechanism mechanism, ReadOnlySpan<byte> initialResponse) =>
        WriteAuth(destination, mechanism, initialResponse, hasInitialResponse: true);

    /// <summary>Writes a response line after a 334: the base64 of <paramref name="response"/> and CRLF, at most 12288 octets (RFC 4954 section 4).</summary>
    /// <param name="destination">Where the line goes.</param>
    /// <param name="response">The raw (not yet base64) response; empty gives an empty line.</param>
    /// <returns>The bytes written, or <see cref="SmtpCodecError.AuthLineTooLong"/>.</returns>
    public static CommandWriteResult WriteAuthResponse(IBufferWriter<byte> destination, ReadOnlySpan<byte> response)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (Base64.GetMaxEncodedToUtf8Length(response.Length) + 2 > MaxAuthResponseLineLength)
        {
            return new CommandWriteResult(SmtpCodecError.AuthLineTooLong, nameof(response), 0, false);
        }

        var line = new CommandLineBuilder(destination.GetSpan(MaxAuthResponseLineLength)[..MaxAuthResponseLineLength]);
        line.AppendBase64(response, nameof(response), SmtpCodecError.AuthLineTooLong);
        return Commit(destination, ref line);
    }

    /// <summary>Writes <c>*</c>, which cancels the exchange after a 334 (RFC 4954 section 4).</summary>
    /// <param name="destination">Where the line goes.</param>
    /// <returns>The bytes written.</returns>
    public static CommandWriteResult WriteAuthCancel(IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var line = new CommandLineBuilder(destination.GetSpan(3)[..3]);
        line.Append((byte)'*');
        return Commit(destination, ref line);
    }

    private static CommandWriteResult WriteAuth(IBufferWriter<byte> destination, SaslMechanism mechanism, ReadOnlySpan<byte> initialResponse, bool hasInitialResponse)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ReadOnlySpan<byte> name = SaslMechanismNames.GetUtf8Name(mechanism);
        var line = new CommandLineBuilder(destination.GetSpan(MaxCommandLineLength)[..MaxCommandLineLength]);
        if (name.IsEmpty)
        {
            line.Fail(SmtpCodecError.InvalidParameterValue, nameof(mechanism));
        }

        line.Append(SmtpCommandVerbs.GetUtf8Name(SmtpCommand.Auth));
        line.Append((byte)' ');
        line.Append(name);
        bool deferred = false;
        if (hasInitialResponse)
        {
            int needed = line.Length + 1 + (initialResponse.IsEmpty ? 1 : Base64.GetMaxEncodedToUtf8Length(initialResponse.Length)) + 2;
            if (needed > MaxCommandLineLength)
            {
                // The AUTH line stays within 512 octets: the response goes after the 334 (RFC 4954 section 4).
                deferred = true;
            }
            else if (initialResponse.IsEmpty)
            {
                // A zero-length initial response is sent as a single "=" (RFC 4954 section 4).
                line.Append(" ="u8);
            }
            else
            {
                line.Append((byte)' ');
                line.AppendBase64(initialResponse, nameof(initialResponse), SmtpCodecError.CommandLineTooLong);
            }
        }

        CommandWriteResult result = Commit(destination, ref line);
        return deferred && result.Succeeded ? new CommandWriteResult(SmtpCodecError.None, null, result.BytesWritten, initialResponseDeferred: true) : result;
    }
}
