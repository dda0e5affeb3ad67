using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SmtpCodec.Fuzz.Support;
using SmtpCodec.Protocol;
using SmtpCodec.Sasl;

namespace SmtpCodec.Fuzz.Targets;

/// <summary>
/// <c>sasl</c>: the input's lines as the server's 334 challenges to every client mechanism (PLAIN, LOGIN,
/// XOAUTH2, OAUTHBEARER, CRAM-MD5, SCRAM-SHA-256), raw and base64-decoded with <see cref="SaslClient.DecodeChallenge"/>.
/// Each step ends Done or InvalidData with an error (never an exception); a step that found its destination too
/// small changed nothing (retrying with room gives what room gave at once); and every response is the one the
/// mechanism's RFC computes, worked out here independently (CRAM-MD5's HMAC, SCRAM's proof and server signature).
/// </summary>
public sealed class SaslTarget : IFuzzTarget
{
    private const string User = "user";
    private const string Password = "pencil";
    private const string Token = "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg";

    /// <summary>RFC 7677 section 3's client nonce, so that its example exchange is a seed.</summary>
    public const string ScramNonce = "rOprNGfwEbeRWgbNEkqO";

    /// <summary>The most iterations the fuzzed SCRAM client accepts: the RFC 7677 example's, and cheap enough to run often.</summary>
    public const int ScramMaxIterations = 4096;

    private const int MaxInputLength = 4096;

    private static readonly SearchValues<byte> s_whitespace = SearchValues.Create(" \t\r\n\v\f"u8);
    private const int MaxChallenges = 8;

    /// <inheritdoc/>
    public string Name => "sasl";

    /// <inheritdoc/>
    public string Description => "SASL clients answer the input's lines as challenges: Done or InvalidData, responses as the RFCs compute them";

    /// <inheritdoc/>
    public void Run(ReadOnlySpan<byte> input)
    {
        input = input[..Math.Min(input.Length, MaxInputLength)];
        List<byte[]> raw = Lines(input);
        List<byte[]> decoded = Decode(raw);
        var random = DerivedRandom.From(input);
        foreach (SaslMechanism mechanism in SaslMechanismNames.All)
        {
            if (!SaslMechanismNames.IsClientSupported(mechanism))
            {
                continue;
            }

            string roomy = Drive(mechanism, raw, ref random, smallFirst: false);
            Check.Equal(roomy, Drive(mechanism, raw, ref random, smallFirst: true), $"{mechanism}: a step that found its destination too small changed nothing");
            _ = Drive(mechanism, decoded, ref random, smallFirst: true);
        }
    }

    /// <summary>The 334 texts: the input's lines, a CR before each LF dropped.</summary>
    private static List<byte[]> Lines(ReadOnlySpan<byte> input)
    {
        var lines = new List<byte[]>();
        foreach (Range range in input.Split((byte)'\n'))
        {
            ReadOnlySpan<byte> line = input[range];
            lines.Add((line.EndsWith("\r"u8) ? line[..^1] : line).ToArray());
            if (lines.Count == MaxChallenges)
            {
                break;
            }
        }

        return lines;
    }

    /// <summary>The lines base64-decoded as the connection layer does, up to the first that is not base64.</summary>
    private static List<byte[]> Decode(List<byte[]> lines)
    {
        var decoded = new List<byte[]>();
        foreach (byte[] line in lines)
        {
            var challenge = new byte[Base64.GetMaxDecodedFromUtf8Length(line.Length)];
            SmtpCodecError error = SaslClient.DecodeChallenge(line, challenge, out int written);
            Check.That(error is SmtpCodecError.None or SmtpCodecError.InvalidBase64, $"DecodeChallenge into room enough: {error}");
            if (error != SmtpCodecError.None)
            {
                Check.That(!IsStrictBase64(line), $"{Check.Show(line)} is strict base64 but was refused");
                break;
            }

            Check.That(IsStrictBase64(line), $"{Check.Show(line)} is not strict base64 but was decoded");
            Check.Bytes(Convert.FromBase64String(Encoding.ASCII.GetString(line)), challenge.AsSpan(0, written), "a decoded challenge");
            decoded.Add(challenge[..written]);
        }

        return decoded;
    }

    /// <summary>RFC 4648 base64 with padding, no whitespace, and unused bits zero (section 3.5): the canonical encoding of its bytes.</summary>
    private static bool IsStrictBase64(ReadOnlySpan<byte> text)
    {
        if (text.IndexOfAny(s_whitespace) >= 0 || !Ascii.IsValid(text))
        {
            return false;
        }

        string ascii = Encoding.ASCII.GetString(text);
        var scratch = new byte[text.Length];
        return Convert.TryFromBase64String(ascii, scratch, out int written)
            && string.Equals(Convert.ToBase64String(scratch, 0, written), ascii, StringComparison.Ordinal);
    }

    /// <summary>Runs one exchange and returns its transcript; with <paramref name="smallFirst"/>, each step first gets a destination of a few bytes.</summary>
    private static string Drive(SaslMechanism mechanism, List<byte[]> challenges, ref DerivedRandom random, bool smallFirst)
    {
        SaslClient client = Create(mechanism);
        var oracle = new SaslOracle(mechanism);
        var transcript = new StringBuilder();
        if (client.HasInitialResponse)
        {
            (OperationStatus status, SmtpCodecError error, byte[] response) = Step(client, [], initial: true, ref random, smallFirst);
            Check.Equal((OperationStatus.Done, SmtpCodecError.None), (status, error), $"{mechanism}: the initial response");
            Check.Bytes(oracle.InitialResponse(), response, $"{mechanism}: the initial response");
            transcript.Append(Convert.ToHexString(response));
        }

        for (int k = 0; k < challenges.Count; k++)
        {
            (OperationStatus status, SmtpCodecError error, byte[] response) = Step(client, challenges[k], initial: false, ref random, smallFirst);
            Check.That(
                status == OperationStatus.Done ? error == SmtpCodecError.None : status == OperationStatus.InvalidData && error != SmtpCodecError.None,
                $"{mechanism}: challenge {k} ended {status} with {error}: Done without an error or InvalidData with one");
            oracle.CheckStep(k, challenges[k], status, error, response, client);
            transcript.Append(" | ").Append(status).Append(' ').Append(error).Append(' ').Append(Convert.ToHexString(response)).Append(client.IsComplete ? " complete" : "");
            if (status == OperationStatus.InvalidData)
            {
                break;
            }
        }

        return transcript.ToString();
    }

    private static (OperationStatus Status, SmtpCodecError Error, byte[] Response) Step(
        SaslClient client, byte[] challenge, bool initial, ref DerivedRandom random, bool smallFirst)
    {
        if (smallFirst)
        {
            Span<byte> small = GuardedBuffers.Get(1).Tail(random.Next(0, 8)).Span;
            (OperationStatus status, SmtpCodecError error, int written) = Call(client, challenge, initial, small);
            if (status != OperationStatus.DestinationTooSmall)
            {
                return (status, error, small[..written].ToArray());
            }

            Check.Equal((SmtpCodecError.None, 0), (error, written), "DestinationTooSmall writes nothing and names no error");
        }

        Span<byte> roomy = GuardedBuffers.Get(1).Tail(4096).Span;
        (OperationStatus roomyStatus, SmtpCodecError roomyError, int count) = Call(client, challenge, initial, roomy);
        Check.That(roomyStatus != OperationStatus.DestinationTooSmall, "4096 bytes are room enough for any response here");
        return (roomyStatus, roomyError, roomy[..count].ToArray());
    }

    private static (OperationStatus Status, SmtpCodecError Error, int Written) Call(SaslClient client, byte[] challenge, bool initial, Span<byte> destination)
    {
        ReadOnlySpan<byte> guarded = GuardedBuffers.Get(0).CopyToTail(challenge).Span;
        OperationStatus status = initial
            ? client.WriteInitialResponse(destination, out int written, out SmtpCodecError error)
            : client.EvaluateChallenge(guarded, destination, out written, out error);
        return (status, error, written);
    }

    private static SaslClient Create(SaslMechanism mechanism) => mechanism switch
    {
        SaslMechanism.OAuthBearer => new OAuthBearerSaslClient(User, Token, "server.example.com", 587),
        SaslMechanism.ScramSha256 => new ScramSha256SaslClient(User, Password, ScramNonce, minimumIterationCount: 1, maximumIterationCount: ScramMaxIterations),
        _ => SaslClient.Create(mechanism, User, mechanism is SaslMechanism.XOAuth2 ? Token : Password),
    };

    /// <summary>What each mechanism must answer, computed from its RFC without the codec.</summary>
    private sealed class SaslOracle(SaslMechanism mechanism)
    {
        private byte[]? _serverSignature;
        private byte[]? _serverFirst;

        public byte[] InitialResponse() => mechanism switch
        {
            SaslMechanism.Plain => Encoding.UTF8.GetBytes($"\0{User}\0{Password}"),
            SaslMechanism.XOAuth2 => Encoding.UTF8.GetBytes($"user={User}\u0001auth=Bearer {Token}\u0001\u0001"),
            SaslMechanism.OAuthBearer => Encoding.UTF8.GetBytes($"n,a={User},\u0001host=server.example.com\u0001port=587\u0001auth=Bearer {Token}\u0001\u0001"),
            SaslMechanism.ScramSha256 => Encoding.UTF8.GetBytes($"n,,n={User},r={ScramNonce}"),
            _ => throw Check.Fail($"{mechanism} has no initial response"),
        };

        public void CheckStep(int k, byte[] challenge, OperationStatus status, SmtpCodecError error, byte[] response, SaslClient client)
        {
            string step = $"{mechanism}, challenge {k} {Check.Show(challenge)}";
            switch (mechanism)
            {
                case SaslMechanism.Plain:
                    Expect(step, status, error, response, refused: true);
                    break;
                case SaslMechanism.Login:
                    Expect(step, status, error, response, refused: k > 1, k == 0 ? User : Password);
                    Check.Equal(k >= 1, client.IsComplete, $"{step}: complete once the password went");
                    break;
                case SaslMechanism.XOAuth2:
                    Expect(step, status, error, response, refused: false, "");
                    Check.That(client.IsComplete && ((XOAuth2SaslClient)client).ServerReportedError, $"{step}: a challenge after the initial response is the server's error");
                    break;
                case SaslMechanism.OAuthBearer:
                    Expect(step, status, error, response, refused: false, "\u0001");
                    Check.That(client.IsComplete && ((OAuthBearerSaslClient)client).ServerReportedError, $"{step}: a challenge after the initial response is the server's error");
                    break;
                case SaslMechanism.CramMd5:
                    Expect(step, status, error, response, refused: k > 0 || challenge.Length == 0, k == 0 ? CramMd5Response(challenge) : null);
                    break;
                case SaslMechanism.ScramSha256:
                    CheckScram(step, k, challenge, status, error, response, client);
                    break;
                default:
                    throw Check.Fail($"{mechanism} has no oracle");
            }
        }

        private static void Expect(string step, OperationStatus status, SmtpCodecError error, byte[] response, bool refused, string? expected = null)
        {
            if (refused)
            {
                Check.Equal((OperationStatus.InvalidData, SmtpCodecError.InvalidServerChallenge), (status, error), $"{step}: a challenge the mechanism has no step for");
                return;
            }

            Check.Equal(OperationStatus.Done, status, $"{step}: the status");
            Check.Bytes(Encoding.UTF8.GetBytes(expected!), response, $"{step}: the response");
        }

        private static string CramMd5Response(byte[] challenge)
        {
#pragma warning disable CA5351 // RFC 2195 defines CRAM-MD5 with HMAC-MD5.
            byte[] digest = HMACMD5.HashData(Encoding.UTF8.GetBytes(Password), challenge);
#pragma warning restore CA5351
            return $"{User} {Convert.ToHexStringLower(digest)}";
        }

        private void CheckScram(string step, int k, byte[] challenge, OperationStatus status, SmtpCodecError error, byte[] response, SaslClient client)
        {
            if (k == 0)
            {
                ScramServerFirst first = ScramServerFirst.Parse(challenge);
                Check.That(!first.Strict || status == OperationStatus.Done, $"{step}: a server-first message RFC 5802 allows was refused ({error})");
                Check.That(first.Lenient || status == OperationStatus.InvalidData, $"{step}: a server-first message RFC 5802 forbids was accepted");
                if (status == OperationStatus.InvalidData)
                {
                    Check.That(error is SmtpCodecError.InvalidServerChallenge or SmtpCodecError.InvalidBase64, $"{step}: {error} for a bad server-first message");
                    return;
                }

                (byte[] expected, _serverSignature) = first.ClientFinal(challenge);
                _serverFirst = challenge;
                Check.Bytes(expected, response, $"{step}: client-final with the proof of RFC 5802 section 3");
                Check.That(!client.IsComplete, $"{step}: not complete before the server's signature");
                return;
            }

            if (k > 1)
            {
                Check.Equal((OperationStatus.InvalidData, SmtpCodecError.InvalidServerChallenge), (status, error), $"{step}: nothing follows server-final");
                return;
            }

            // server-final: accepted exactly when its verifier decodes to the signature the server must send.
            ReadOnlySpan<byte> verifier = challenge.AsSpan().StartsWith("v="u8) ? challenge.AsSpan(2) : [];
            int comma = verifier.IndexOf((byte)',');
            verifier = comma < 0 ? verifier : verifier[..comma];
            bool genuine = verifier.Length == 44 && IsStrictBase64(verifier)
                && Convert.FromBase64String(Encoding.ASCII.GetString(verifier)).AsSpan().SequenceEqual(_serverSignature);
            if (genuine)
            {
                Check.Equal(OperationStatus.Done, status, $"{step}: the genuine server signature");
                Check.That(client.IsComplete && response.Length == 0, $"{step}: complete, answered with an empty line");
                return;
            }

            Check.Equal(OperationStatus.InvalidData, status, $"{step}: a server-final message without the genuine signature");
            Check.That(
                challenge.AsSpan().StartsWith("e="u8) ? error == SmtpCodecError.ServerReportedError : error is SmtpCodecError.InvalidServerChallenge or SmtpCodecError.ServerSignatureMismatch or SmtpCodecError.InvalidBase64,
                $"{step}: {error} for a server-final message without the genuine signature");

            // The genuine signature, sent to a client in the same state, completes the exchange.
            var twin = (ScramSha256SaslClient)Create(SaslMechanism.ScramSha256);
            Span<byte> scratch = stackalloc byte[512];
            _ = twin.WriteInitialResponse(scratch, out _, out _);
            Check.Equal(OperationStatus.Done, twin.EvaluateChallenge(_serverFirst, scratch, out _, out _), $"{step}: the same server-first to a twin client");
            byte[] genuineFinal = Encoding.ASCII.GetBytes("v=" + Convert.ToBase64String(_serverSignature!));
            Check.Equal(OperationStatus.Done, twin.EvaluateChallenge(genuineFinal, scratch, out _, out SmtpCodecError twinError), $"{step}: the genuine signature to a twin client ({twinError})");
            Check.That(twin.IsComplete, $"{step}: the twin client is complete");
        }
    }

    /// <summary>server-first-message of RFC 5802 section 7, parsed strictly and leniently.</summary>
    private sealed record ScramServerFirst(bool Strict, bool Lenient, string Nonce, byte[] Salt, int Iterations)
    {
        public static ScramServerFirst Parse(byte[] message)
        {
            var refused = new ScramServerFirst(false, false, "", [], 0);
            string[] fields = Encoding.Latin1.GetString(message).Split(',');
            if (fields.Length < 3 || fields.Any(f => f.Length < 2 || f[1] != '='))
            {
                return refused;
            }

            string nonce = fields[0][2..];
            string salt = fields[1][2..];
            string count = fields[2][2..];
            bool nonceOk = fields[0][0] == 'r' && nonce.Length > ScramNonce.Length && nonce.StartsWith(ScramNonce, StringComparison.Ordinal)
                && nonce.All(c => c is >= (char)0x21 and <= (char)0x7E and not ',');
            bool saltOk = fields[1][0] == 's' && salt.Length is > 0 and <= 1024 && IsStrictBase64(Encoding.Latin1.GetBytes(salt));
            if (!nonceOk || !saltOk || fields[2][0] != 'i')
            {
                return refused;
            }

            // posit-number = %x31-39 *DIGIT; Utf8Parser also takes a sign and leading zeros, which change nothing here.
            bool strictCount = count.Length is > 0 and <= 9 && count[0] is >= '1' and <= '9' && count.All(char.IsAsciiDigit);
            bool lenientCount = int.TryParse(count, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int iterations);
            bool inRange = iterations is >= 1 and <= ScramMaxIterations;
            return new ScramServerFirst(strictCount && inRange, lenientCount && inRange, nonce, Convert.FromBase64String(salt), iterations);
        }

        /// <summary>client-final-message and the server signature the client must then expect (RFC 5802 section 3).</summary>
        public (byte[] ClientFinal, byte[] ServerSignature) ClientFinal(byte[] serverFirst)
        {
            byte[] salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(Password), Salt, Iterations, HashAlgorithmName.SHA256, 32);
            byte[] clientKey = HMACSHA256.HashData(salted, "Client Key"u8.ToArray());
            byte[] storedKey = SHA256.HashData(clientKey);
            string withoutProof = $"c=biws,r={Nonce}";
            byte[] authMessage = [.. Encoding.UTF8.GetBytes($"n={User},r={ScramNonce},"), .. serverFirst, .. Encoding.UTF8.GetBytes("," + withoutProof)];
            byte[] clientSignature = HMACSHA256.HashData(storedKey, authMessage);
            byte[] proof = clientKey.Zip(clientSignature, (a, b) => (byte)(a ^ b)).ToArray();
            byte[] serverKey = HMACSHA256.HashData(salted, "Server Key"u8.ToArray());
            return (Encoding.UTF8.GetBytes($"{withoutProof},p={Convert.ToBase64String(proof)}"), HMACSHA256.HashData(serverKey, authMessage));
        }
    }
}
