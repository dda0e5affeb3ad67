using System;
using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using SmtpCodec.Protocol;
using SmtpCodec.Text;

namespace SmtpCodec.Sasl;

/// <summary>
/// CRAM-MD5 (RFC 2195): the answer to the server's challenge is the user name, a space and the
/// lower-case hex HMAC-MD5 of the challenge keyed with the password. Kept for old servers: MD5 and a
/// server-stored plain password make it weak (RFC 6331 retires the similar DIGEST-MD5).
/// </summary>
public sealed class CramMd5SaslClient : SaslClient
{
    private readonly string _userName;
    private readonly byte[] _password;

    /// <summary>Creates the client.</summary>
    /// <param name="userName">The user name.</param>
    /// <param name="password">The shared secret.</param>
    /// <exception cref="ArgumentException">The user name holds a space.</exception>
    public CramMd5SaslClient(string userName, string password)
    {
        ArgumentNullException.ThrowIfNull(userName);
        ArgumentNullException.ThrowIfNull(password);
        if (userName.Contains(' ', StringComparison.Ordinal))
        {
            throw new ArgumentException("A CRAM-MD5 user name cannot hold a space, which ends it (RFC 2195 section 2).", nameof(userName));
        }

        _userName = userName;
        _password = Encoding.UTF8.GetBytes(password);
    }

    /// <inheritdoc/>
    public override SaslMechanism Mechanism => SaslMechanism.CramMd5;

    /// <inheritdoc/>
    public override bool HasInitialResponse => false;

    /// <inheritdoc/>
    protected override OperationStatus Respond(ReadOnlySpan<byte> challenge, Span<byte> response, out int bytesWritten, out SmtpCodecError failure)
    {
        failure = SmtpCodecError.None;
        bytesWritten = 0;

        // One challenge, a msg-id such as <1896.697170952@postoffice.reston.mci.net> (RFC 2195 section 2).
        if (Step > 0 || challenge.IsEmpty)
        {
            failure = SmtpCodecError.InvalidServerChallenge;
            return OperationStatus.InvalidData;
        }

        Span<byte> digest = stackalloc byte[HMACMD5.HashSizeInBytes];
#pragma warning disable CA5351 // RFC 2195 section 2 defines the mechanism with HMAC-MD5; there is no other choice.
        HMACMD5.HashData(_password, challenge, digest);
#pragma warning restore CA5351
        Span<byte> hex = stackalloc byte[2 * HMACMD5.HashSizeInBytes];
        for (int i = 0; i < digest.Length; i++)
        {
            HexDigits.Write(digest[i], HexDigits.Lower, hex[(2 * i)..]);
        }

        var builder = new SaslResponseBuilder(response);
        builder.AppendUtf8(_userName);
        builder.Append((byte)' ');
        builder.Append(hex);
        if (builder.Overflowed)
        {
            return OperationStatus.DestinationTooSmall;
        }

        bytesWritten = builder.Length;
        IsComplete = true;
        return OperationStatus.Done;
    }
}
