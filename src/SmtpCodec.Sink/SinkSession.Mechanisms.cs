using System.Security.Cryptography;
using System.Text;
using SmtpCodec.Text;

namespace SmtpCodec.Sink;

/// <summary>The SASL mechanisms' own steps (PLAIN, XOAUTH2 and OAUTHBEARER, CRAM-MD5, SCRAM-SHA-256); AUTH itself is in SinkSession.Auth.cs.</summary>
internal sealed partial class SinkSession
{
    /// <summary>PLAIN: [authzid] NUL authcid NUL passwd (RFC 4616 section 2); acting as another identity is not offered.</summary>
    private void Plain(ReadOnlySpan<byte> response)
    {
        int first = response.IndexOf((byte)0);
        int second = first < 0 ? -1 : response[(first + 1)..].IndexOf((byte)0);
        if (second < 0)
        {
            Write("501 5.5.2 Malformed PLAIN response\r\n"u8);
            return;
        }

        ReadOnlySpan<byte> authorizationId = response[..first];
        ReadOnlySpan<byte> user = response.Slice(first + 1, second);
        if (!authorizationId.IsEmpty && !authorizationId.SequenceEqual(user))
        {
            RefuseCredentials();
            return;
        }

        Authenticate(Encoding.UTF8.GetString(user), response[(first + second + 2)..]);
    }

    /// <summary>
    /// XOAUTH2 (user=U ^A auth=Bearer T ^A ^A) or OAUTHBEARER (gs2-header ^A key=value ... ^A ^A, RFC 7628
    /// section 3.1): the token must be the user's configured secret. A wrong one gets the error challenge
    /// first, then 535 once the client has answered it.
    /// </summary>
    private void OAuth(ReadOnlySpan<byte> response, bool xoauth2)
    {
        string? user = null;
        ReadOnlySpan<byte> pairs = response;
        if (!xoauth2)
        {
            // gs2-header = gs2-cbind-flag "," [ "a=" saslname ] ","; no channel binding with OAUTHBEARER.
            int comma = response.Length > 2 && response[0] is (byte)'n' or (byte)'y' && response[1] == ',' ? response[2..].IndexOf((byte)',') : -1;
            if (comma < 0)
            {
                Write("501 5.5.2 Malformed OAUTHBEARER response\r\n"u8);
                return;
            }

            ReadOnlySpan<byte> authzid = response.Slice(2, comma);
            if (!authzid.IsEmpty && !(authzid.StartsWith("a="u8) && ScramSha256ServerExchange.TryDecodeSaslName(authzid[2..], out user)))
            {
                Write("501 5.5.2 Malformed OAUTHBEARER response\r\n"u8);
                return;
            }

            pairs = response[(comma + 3)..];
            if (pairs.IsEmpty || pairs[0] != 0x01)
            {
                Write("501 5.5.2 Malformed OAUTHBEARER response\r\n"u8);
                return;
            }

            pairs = pairs[1..];
        }

        ReadOnlySpan<byte> token = default;
        bool ended = pairs.EndsWith("\u0001\u0001"u8);
        pairs = ended ? pairs[..^2] : pairs;
        foreach (Range range in pairs.Split((byte)0x01))
        {
            ReadOnlySpan<byte> pair = pairs[range];
            if (xoauth2 && pair.StartsWith("user="u8))
            {
                user = Encoding.UTF8.GetString(pair[5..]);
            }
            else if (pair.Length > 12 && Ascii.EqualsIgnoreCase(pair[..12], "auth=Bearer "u8))
            {
                token = pair[12..];
            }
        }

        if (!ended || token.IsEmpty || (xoauth2 && user is null))
        {
            Write(xoauth2 ? "501 5.5.2 Malformed XOAUTH2 response\r\n"u8 : "501 5.5.2 Malformed OAUTHBEARER response\r\n"u8);
            return;
        }

        if (user is not null ? SecretMatches(user, token) : AnySecretMatches(token))
        {
            Accept();
            return;
        }

        _saslStep = SaslStep.OAuthErrorAcknowledged;
        Write("334 "u8);
        Write(xoauth2 ? s_xoauth2Error : s_oauthBearerError);
    }

    /// <summary>CRAM-MD5 (RFC 2195 section 2): "user digest", the digest being HMAC-MD5 of the challenge keyed with the password, in lower-case hex.</summary>
    private void CramMd5(ReadOnlySpan<byte> response)
    {
        byte[] challenge = _cramChallenge!;
        _cramChallenge = null;
        int space = response.LastIndexOf((byte)' ');
        const int hexLength = 2 * HMACMD5.HashSizeInBytes;
        if (space <= 0 || response.Length - space - 1 != hexLength)
        {
            Write("501 5.5.2 Malformed CRAM-MD5 response\r\n"u8);
            return;
        }

        string user = Encoding.UTF8.GetString(response[..space]);
        if (!_options.Users.TryGetValue(user, out string? secret))
        {
            RefuseCredentials();
            return;
        }

        Span<byte> digest = stackalloc byte[HMACMD5.HashSizeInBytes];
#pragma warning disable CA5351 // RFC 2195 defines the mechanism with HMAC-MD5; it is offered only when configured.
        HMACMD5.HashData(Encoding.UTF8.GetBytes(secret), challenge, digest);
#pragma warning restore CA5351
        Span<byte> expected = stackalloc byte[hexLength];
        for (int i = 0; i < digest.Length; i++)
        {
            HexDigits.Write(digest[i], HexDigits.Lower, expected[(2 * i)..]);
        }

        Span<byte> received = stackalloc byte[hexLength];
        Ascii.ToLower(response[(space + 1)..], received, out _);
        if (CryptographicOperations.FixedTimeEquals(expected, received))
        {
            Accept();
        }
        else
        {
            RefuseCredentials();
        }
    }

    /// <summary>SCRAM-SHA-256: client-first, then client-final with its proof, then the client's empty answer to the server's signature.</summary>
    private void Scram(SaslStep step, ReadOnlySpan<byte> response)
    {
        if (step == SaslStep.ScramAcknowledged)
        {
            // The client checked the signature and answers with an empty line (RFC 4954 section 4, RFC 5802 section 5).
            EndSasl();
            if (!response.IsEmpty)
            {
                Write("501 5.5.2 Expected an empty response after the server signature\r\n"u8);
                return;
            }

            Accept();
            return;
        }

        ScramSha256ServerExchange.Outcome outcome;
        byte[] serverMessage;
        if (step == SaslStep.ScramClientFirst)
        {
            _scram = new ScramSha256ServerExchange(_sink.ScramCredentials);
            outcome = _scram.ReadClientFirst(response, out serverMessage);
        }
        else
        {
            outcome = _scram!.ReadClientFinal(response, out serverMessage);
        }

        switch (outcome)
        {
            case ScramSha256ServerExchange.Outcome.Malformed:
                EndSasl();
                Write("501 5.5.2 Malformed SCRAM-SHA-256 message\r\n"u8);
                return;
            case ScramSha256ServerExchange.Outcome.Refused:
                EndSasl();
                RefuseCredentials();
                return;
        }

        _saslStep = step == SaslStep.ScramClientFirst ? SaslStep.ScramClientFinal : SaslStep.ScramAcknowledged;
        Write("334 "u8);
        Write(Base64Line(serverMessage));
    }
}
