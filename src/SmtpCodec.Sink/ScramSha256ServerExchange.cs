using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using SmtpCodec.Protocol;
using SmtpCodec.Sasl;

namespace SmtpCodec.Sink;

/// <summary>
/// The server side of one SCRAM-SHA-256 exchange (RFC 5802 section 5, RFC 7677) without channel binding:
/// it answers the client-first message with a fresh nonce and the user's salt, verifies the client's proof
/// against the keys kept in <see cref="ScramCredentials"/> and sends its own signature, so that the client can
/// tell the sink knows the password. The key schedule is the codec's, shared with the client.
/// </summary>
internal sealed class ScramSha256ServerExchange
{
    private const int HashLength = ScramSha256Keys.HashLength;

    private readonly ScramCredentials _credentials;
    private byte[] _gs2Header = [];
    private byte[] _clientFirstBare = [];
    private byte[] _serverFirst = [];
    private byte[] _nonce = [];
    private readonly byte[] _clientKey = new byte[HashLength];
    private readonly byte[] _serverKey = new byte[HashLength];

    public ScramSha256ServerExchange(ScramCredentials credentials)
    {
        _credentials = credentials;
    }

    /// <summary>How a client message was taken.</summary>
    public enum Outcome
    {
        /// <summary>Good: send the server message.</summary>
        Continue,

        /// <summary>Not SCRAM syntax, or asking for what the sink does not do (channel binding, a mandatory extension).</summary>
        Malformed,

        /// <summary>Well formed, but the proof is wrong (or the user unknown).</summary>
        Refused,
    }

    /// <summary>The user named by the client-first message.</summary>
    public string UserName { get; private set; } = "";

    /// <summary>Reads client-first (gs2-header client-first-message-bare) and makes server-first: r=nonce,s=salt,i=count.</summary>
    public Outcome ReadClientFirst(ReadOnlySpan<byte> message, out byte[] serverFirst)
    {
        serverFirst = [];

        // gs2-header = gs2-cbind-flag "," [authzid] ","; "p=" asks for channel binding, which -PLUS would offer.
        if (message.Length < 3 || (message[0] != 'n' && message[0] != 'y') || message[1] != ',')
        {
            return Outcome.Malformed;
        }

        int authzidEnd = message[2..].IndexOf((byte)',');
        if (authzidEnd < 0)
        {
            return Outcome.Malformed;
        }

        ReadOnlySpan<byte> authzid = message.Slice(2, authzidEnd);
        int headerLength = authzidEnd + 3;
        ReadOnlySpan<byte> bare = message[headerLength..];

        // client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]; m= is mandatory and unknown.
        if (!bare.StartsWith("n="u8))
        {
            return Outcome.Malformed;
        }

        int userEnd = bare.IndexOf((byte)',');
        if (userEnd < 0 || !bare[(userEnd + 1)..].StartsWith("r="u8) || !TryDecodeSaslName(bare[2..userEnd], out string? user))
        {
            return Outcome.Malformed;
        }

        ReadOnlySpan<byte> nonceAndRest = bare[(userEnd + 3)..];
        int nonceEnd = nonceAndRest.IndexOf((byte)',');
        ReadOnlySpan<byte> clientNonce = nonceEnd < 0 ? nonceAndRest : nonceAndRest[..nonceEnd];
        if (clientNonce.IsEmpty || clientNonce.ContainsAnyExceptInRange((byte)0x21, (byte)0x7E))
        {
            return Outcome.Malformed;
        }

        // An authorization identity other than the user would mean acting for someone else: not offered.
        if (!authzid.IsEmpty && !(authzid.StartsWith("a="u8) && TryDecodeSaslName(authzid[2..], out string? actAs) && actAs == user))
        {
            return Outcome.Malformed;
        }

        UserName = user;
        _gs2Header = message[..headerLength].ToArray();
        _clientFirstBare = bare.ToArray();

        // A fresh nonce part for every exchange; the salt and keys are the user's (an unknown user's fail at the proof).
        Span<byte> random = stackalloc byte[18];
        RandomNumberGenerator.Fill(random);
        string serverNonce = Convert.ToBase64String(random);
        _nonce = [.. clientNonce, .. Encoding.ASCII.GetBytes(serverNonce)];
        byte[] salt = _credentials.Get(user, _clientKey, _serverKey);

        _serverFirst = Encoding.ASCII.GetBytes($"r={Encoding.ASCII.GetString(_nonce)},s={Convert.ToBase64String(salt)},i={ScramCredentials.IterationCount}");
        serverFirst = _serverFirst;
        return Outcome.Continue;
    }

    /// <summary>Reads client-final (c=...,r=...,p=proof), verifies the proof and makes server-final: v=signature.</summary>
    public Outcome ReadClientFinal(ReadOnlySpan<byte> message, out byte[] serverFinal)
    {
        serverFinal = [];

        // client-final-message = channel-binding "," nonce ["," extensions] "," proof; the proof comes last.
        int proofAt = message.LastIndexOf(",p="u8);
        if (proofAt < 0 || !message.StartsWith("c="u8))
        {
            return Outcome.Malformed;
        }

        ReadOnlySpan<byte> withoutProof = message[..proofAt];
        int channelEnd = withoutProof.IndexOf((byte)',');
        if (channelEnd < 0 || !withoutProof[(channelEnd + 1)..].StartsWith("r="u8))
        {
            return Outcome.Malformed;
        }

        // c= carries the gs2 header back, base64-encoded (RFC 5802 section 7).
        Span<byte> channel = stackalloc byte[Base64.GetMaxDecodedFromUtf8Length(channelEnd)];
        if (StrictBase64.Decode(withoutProof[2..channelEnd], channel, out int channelLength) != SmtpCodecError.None)
        {
            return Outcome.Malformed;
        }

        ReadOnlySpan<byte> nonce = withoutProof[(channelEnd + 3)..];
        int nonceEnd = nonce.IndexOf((byte)',');
        nonce = nonceEnd < 0 ? nonce : nonce[..nonceEnd];
        Span<byte> proof = stackalloc byte[HashLength + 2];
        if (StrictBase64.Decode(message[(proofAt + 3)..], proof, out int proofLength) != SmtpCodecError.None)
        {
            return Outcome.Malformed;
        }

        if (!channel[..channelLength].SequenceEqual(_gs2Header) || !nonce.SequenceEqual(_nonce) || proofLength != HashLength)
        {
            return Outcome.Refused;
        }

        // AuthMessage = client-first-message-bare "," server-first-message "," client-final-message-without-proof (RFC 5802 section 3).
        byte[] authMessage = [.. _clientFirstBare, (byte)',', .. _serverFirst, (byte)',', .. withoutProof];
        bool valid = ScramSha256Keys.VerifyClientProof(_clientKey, authMessage, proof[..HashLength]);
        CryptographicOperations.ZeroMemory(_clientKey);
        if (!valid)
        {
            return Outcome.Refused;
        }

        Span<byte> signature = stackalloc byte[HashLength];
        ScramSha256Keys.ComputeServerSignature(_serverKey, authMessage, signature);
        CryptographicOperations.ZeroMemory(_serverKey);
        serverFinal = Encoding.ASCII.GetBytes("v=" + Convert.ToBase64String(signature));
        return Outcome.Continue;
    }

    /// <summary>saslname (RFC 5802 section 5.1): "=2C" is ',' and "=3D" is '='; any other '=' is an error.</summary>
    public static bool TryDecodeSaslName(ReadOnlySpan<byte> text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? name)
    {
        name = null;
        var decoded = new byte[text.Length];
        int length = 0;
        for (int i = 0; i < text.Length; i++)
        {
            byte b = text[i];
            if (b == ',')
            {
                return false;
            }

            if (b == '=')
            {
                ReadOnlySpan<byte> escape = text[(i + 1)..];
                if (escape.StartsWith("2C"u8))
                {
                    b = (byte)',';
                }
                else if (escape.StartsWith("3D"u8))
                {
                    b = (byte)'=';
                }
                else
                {
                    return false;
                }

                i += 2;
            }

            decoded[length++] = b;
        }

        if (!System.Text.Unicode.Utf8.IsValid(decoded.AsSpan(0, length)))
        {
            return false;
        }

        name = Encoding.UTF8.GetString(decoded, 0, length);
        return true;
    }
}
