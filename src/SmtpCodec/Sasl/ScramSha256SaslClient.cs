using System;
using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using SmtpCodec.Protocol;

namespace SmtpCodec.Sasl;

/// <summary>
/// SCRAM-SHA-256 (RFC 5802, RFC 7677) without channel binding: client-first, client-final with the
/// proof, then verification of the server's signature, so a server that does not know the password
/// is caught. SASLprep (RFC 4013) is limited to what is exact for ASCII: names and passwords must be
/// printable ASCII, for which SASLprep changes nothing; anything else is refused when the client is made.
/// </summary>
public sealed class ScramSha256SaslClient : SaslClient
{
    /// <summary>The smallest iteration count accepted by default (RFC 7677 section 4: at least 4096).</summary>
    public const int DefaultMinimumIterationCount = 4096;

    /// <summary>
    /// The largest iteration count accepted by default. The count comes from the server and the client
    /// pays for it (two HMAC-SHA-256 per iteration, RFC 5802 section 3): i=2147483647 would keep it busy
    /// for hours. Servers use 4096 (the RFC 7677 section 4 floor, Dovecot and Cyrus SASL defaults) to
    /// tens of thousands; 100,000 costs tens of milliseconds. Raise it for a server set higher.
    /// </summary>
    public const int DefaultMaximumIterationCount = 100_000;

    private const int HashLength = ScramSha256Keys.HashLength;

    // Bounds what a server's salt may take on the stack; real salts are 16 to 32 bytes.
    private const int MaxSaltTextLength = 1024;

    // c=biws is base64 of the GS2 header "n,," (RFC 5802 section 5.1, no channel binding).
    private static ReadOnlySpan<byte> Gs2Header => "n,,"u8;

    private readonly byte[] _password;
    private bool _failed;
    private readonly byte[] _clientFirstBare;
    private readonly string _clientNonce;
    private readonly int _minimumIterationCount;
    private readonly int _maximumIterationCount;
    private readonly byte[] _expectedServerSignature = new byte[HashLength];

    /// <summary>Creates the client with a fresh random nonce.</summary>
    /// <param name="userName">The user name (printable ASCII).</param>
    /// <param name="password">The password (printable ASCII).</param>
    /// <exception cref="ArgumentException">A value is not printable ASCII.</exception>
    public ScramSha256SaslClient(string userName, string password)
        : this(userName, password, Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)), DefaultMinimumIterationCount, DefaultMaximumIterationCount)
    {
    }

    /// <summary>Creates the client with a fresh random nonce and the iteration counts the server may ask for.</summary>
    /// <param name="userName">The user name (printable ASCII).</param>
    /// <param name="password">The password (printable ASCII).</param>
    /// <param name="minimumIterationCount">The smallest iteration count the server may ask for.</param>
    /// <param name="maximumIterationCount">The largest iteration count the server may ask for (see <see cref="DefaultMaximumIterationCount"/>).</param>
    /// <exception cref="ArgumentException">A value is not printable ASCII.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The minimum is below 1 or above the maximum.</exception>
    public ScramSha256SaslClient(string userName, string password, int minimumIterationCount, int maximumIterationCount)
        : this(userName, password, Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)), minimumIterationCount, maximumIterationCount)
    {
    }

    /// <summary>Creates the client with a given nonce (for tests and known answers) and iteration bounds.</summary>
    /// <param name="userName">The user name (printable ASCII).</param>
    /// <param name="password">The password (printable ASCII).</param>
    /// <param name="clientNonce">The client nonce: RFC 5802 printable (%x21-2B / %x2D-7E: no space, no ','); use a fresh random value outside tests.</param>
    /// <param name="minimumIterationCount">The smallest iteration count the server may ask for.</param>
    /// <param name="maximumIterationCount">The largest iteration count the server may ask for (see <see cref="DefaultMaximumIterationCount"/>).</param>
    /// <exception cref="ArgumentException">A value is not printable ASCII, or the nonce is empty or not RFC 5802 printable.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The minimum is below 1 or above the maximum.</exception>
    public ScramSha256SaslClient(
        string userName,
        string password,
        string clientNonce,
        int minimumIterationCount = DefaultMinimumIterationCount,
        int maximumIterationCount = DefaultMaximumIterationCount)
    {
        RequirePrintableAscii(userName, nameof(userName));
        RequirePrintableAscii(password, nameof(password));
        ArgumentNullException.ThrowIfNull(clientNonce);
        if (clientNonce.Length == 0 || !IsNoncePrintable(clientNonce))
        {
            throw new ArgumentException("The client nonce must be non-empty RFC 5802 printable: %x21-2B / %x2D-7E, no space and no ',' (RFC 5802 section 7).", nameof(clientNonce));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(minimumIterationCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maximumIterationCount, minimumIterationCount);
        _password = Encoding.ASCII.GetBytes(password);
        _clientNonce = clientNonce;
        _minimumIterationCount = minimumIterationCount;
        _maximumIterationCount = maximumIterationCount;

        // client-first-message-bare = "n=" saslname ",r=" c-nonce (RFC 5802 section 7).
        var bare = new byte[(3 * userName.Length) + clientNonce.Length + 5];
        var builder = new SaslResponseBuilder(bare);
        builder.Append("n="u8);
        builder.AppendSaslName(userName);
        builder.Append(",r="u8);
        builder.AppendUtf8(clientNonce);
        _clientFirstBare = bare.AsSpan(0, builder.Length).ToArray();
    }

    /// <inheritdoc/>
    public override SaslMechanism Mechanism => SaslMechanism.ScramSha256;

    /// <inheritdoc/>
    public override bool HasInitialResponse => true;

    /// <inheritdoc/>
    protected override OperationStatus Respond(ReadOnlySpan<byte> challenge, Span<byte> response, out int bytesWritten, out SmtpCodecError failure)
    {
        failure = SmtpCodecError.None;
        bytesWritten = 0;
        if (_failed)
        {
            // A refused challenge ends the exchange: the password is already cleared, so nothing may be computed from it.
            failure = SmtpCodecError.InvalidServerChallenge;
            return OperationStatus.InvalidData;
        }

        switch (Step)
        {
            case 0:
                return WriteClientFirst(challenge, response, out bytesWritten, out failure);
            case 1:
                OperationStatus status = WriteClientFinal(challenge, response, out bytesWritten, out failure);
                _failed = status == OperationStatus.InvalidData;
                return status;
            case 2:
                failure = VerifyServerFinal(challenge);
                if (failure != SmtpCodecError.None)
                {
                    return OperationStatus.InvalidData;
                }

                // The server's 334 with v= is answered with an empty line; 235 follows (RFC 4954 section 4).
                IsComplete = true;
                return OperationStatus.Done;
            default:
                failure = SmtpCodecError.InvalidServerChallenge;
                return OperationStatus.InvalidData;
        }
    }

    /// <summary>printable = %x21-2B / %x2D-7E: visible ASCII but ',' (RFC 5802 section 7).</summary>
    private static bool IsNoncePrintable(ReadOnlySpan<char> nonce) =>
        !nonce.ContainsAnyExceptInRange((char)0x21, (char)0x7E) && !nonce.Contains(',');

    private static bool IsNoncePrintable(ReadOnlySpan<byte> nonce) =>
        !nonce.ContainsAnyExceptInRange((byte)0x21, (byte)0x7E) && !nonce.Contains((byte)',');

    private static void RequirePrintableAscii(string value, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(value, parameterName);
        foreach (char c in value)
        {
            if (c is < (char)0x20 or > (char)0x7E)
            {
                throw new ArgumentException(
                    "SCRAM-SHA-256 here takes printable ASCII only: SASLprep (RFC 4013) of other characters is not implemented.",
                    parameterName);
            }
        }
    }

    private OperationStatus WriteClientFirst(ReadOnlySpan<byte> challenge, Span<byte> response, out int bytesWritten, out SmtpCodecError failure)
    {
        failure = SmtpCodecError.None;
        bytesWritten = 0;
        if (!challenge.IsEmpty)
        {
            failure = SmtpCodecError.InvalidServerChallenge;
            return OperationStatus.InvalidData;
        }

        var builder = new SaslResponseBuilder(response);
        builder.Append(Gs2Header);
        builder.Append(_clientFirstBare);
        if (builder.Overflowed)
        {
            return OperationStatus.DestinationTooSmall;
        }

        bytesWritten = builder.Length;
        return OperationStatus.Done;
    }

    private OperationStatus WriteClientFinal(ReadOnlySpan<byte> serverFirst, Span<byte> response, out int bytesWritten, out SmtpCodecError failure)
    {
        bytesWritten = 0;
        failure = ParseServerFirst(serverFirst, out ReadOnlySpan<byte> nonce, out ReadOnlySpan<byte> saltText, out int iterations);
        if (failure != SmtpCodecError.None)
        {
            // The exchange is over: the password is not needed any more.
            CryptographicOperations.ZeroMemory(_password);
            return OperationStatus.InvalidData;
        }

        // client-final-message-without-proof = "c=biws,r=" nonce; the proof needs 44 more bytes (",p=" and base64 of 32).
        int withoutProofLength = 9 + nonce.Length;
        if (response.Length < withoutProofLength + 3 + 44)
        {
            return OperationStatus.DestinationTooSmall;
        }

        Span<byte> salt = stackalloc byte[Base64.GetMaxDecodedFromUtf8Length(saltText.Length)];
        failure = StrictBase64.Decode(saltText, salt, out int saltLength);
        if (failure != SmtpCodecError.None)
        {
            CryptographicOperations.ZeroMemory(_password);
            failure = SmtpCodecError.InvalidBase64;
            return OperationStatus.InvalidData;
        }

        var builder = new SaslResponseBuilder(response);
        builder.Append("c=biws,r="u8);
        builder.Append(nonce);
        ReadOnlySpan<byte> withoutProof = response[..builder.Length];

        // AuthMessage = client-first-message-bare "," server-first-message "," client-final-message-without-proof (RFC 5802 section 3).
        byte[] authMessage = [.. _clientFirstBare, (byte)',', .. serverFirst, (byte)',', .. withoutProof];

        Span<byte> clientKey = stackalloc byte[HashLength];
        Span<byte> serverKey = stackalloc byte[HashLength];
        ScramSha256Keys.Derive(_password, salt[..saltLength], iterations, clientKey, serverKey);

        // Only the derived keys are needed from here on (RFC 5802 section 3).
        CryptographicOperations.ZeroMemory(_password);
        Span<byte> proof = stackalloc byte[HashLength];
        ScramSha256Keys.ComputeClientProof(clientKey, authMessage, proof);
        ScramSha256Keys.ComputeServerSignature(serverKey, authMessage, _expectedServerSignature);
        CryptographicOperations.ZeroMemory(clientKey);
        CryptographicOperations.ZeroMemory(serverKey);

        builder.Append(",p="u8);
        Span<byte> proofText = stackalloc byte[Base64.GetMaxEncodedToUtf8Length(HashLength)];
        Base64.EncodeToUtf8(proof, proofText, out _, out int proofLength);
        builder.Append(proofText[..proofLength]);
        bytesWritten = builder.Length;
        return OperationStatus.Done;
    }

    private SmtpCodecError ParseServerFirst(ReadOnlySpan<byte> serverFirst, out ReadOnlySpan<byte> nonce, out ReadOnlySpan<byte> salt, out int iterations)
    {
        nonce = [];
        salt = [];
        iterations = 0;

        // server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count ["," extensions] (RFC 5802 section 7);
        // a mandatory extension (m=) the client does not know must fail the exchange.
        int field = 0;
        foreach (Range range in serverFirst.Split((byte)','))
        {
            ReadOnlySpan<byte> part = serverFirst[range];
            if (part.Length < 2 || part[1] != '=')
            {
                return SmtpCodecError.InvalidServerChallenge;
            }

            ReadOnlySpan<byte> value = part[2..];
            switch (field++)
            {
                case 0 when part[0] == 'r':
                    nonce = value;
                    break;
                case 1 when part[0] == 's':
                    salt = value;
                    break;
                case 2 when part[0] == 'i':
                    // A count above the maximum would let the server keep the client busy for hours.
                    if (!Utf8Parser.TryParse(value, out iterations, out int used) || used != value.Length
                        || iterations < _minimumIterationCount || iterations > _maximumIterationCount)
                    {
                        return SmtpCodecError.InvalidServerChallenge;
                    }

                    break;
                case > 2:
                    break;
                default:
                    return SmtpCodecError.InvalidServerChallenge;
            }
        }

        // The server's nonce extends the client's and is printable too (RFC 5802 sections 5.1 and 7).
        if (field < 3 || salt.IsEmpty || salt.Length > MaxSaltTextLength || nonce.Length <= _clientNonce.Length
            || !Ascii.Equals(nonce[.._clientNonce.Length], _clientNonce) || !IsNoncePrintable(nonce))
        {
            return SmtpCodecError.InvalidServerChallenge;
        }

        return SmtpCodecError.None;
    }

    private SmtpCodecError VerifyServerFinal(ReadOnlySpan<byte> serverFinal)
    {
        // server-final-message = ( server-error / verifier ) ["," extensions] (RFC 5802 section 7).
        if (serverFinal.StartsWith("e="u8))
        {
            return SmtpCodecError.ServerReportedError;
        }

        if (!serverFinal.StartsWith("v="u8))
        {
            return SmtpCodecError.InvalidServerChallenge;
        }

        ReadOnlySpan<byte> verifier = serverFinal[2..];
        int comma = verifier.IndexOf((byte)',');
        if (comma >= 0)
        {
            verifier = verifier[..comma];
        }

        if (verifier.Length != Base64.GetMaxEncodedToUtf8Length(HashLength))
        {
            return SmtpCodecError.ServerSignatureMismatch;
        }

        Span<byte> signature = stackalloc byte[HashLength + 2];
        if (StrictBase64.Decode(verifier, signature, out int length) != SmtpCodecError.None)
        {
            return SmtpCodecError.InvalidBase64;
        }

        return CryptographicOperations.FixedTimeEquals(signature[..length], _expectedServerSignature)
            ? SmtpCodecError.None
            : SmtpCodecError.ServerSignatureMismatch;
    }
}
